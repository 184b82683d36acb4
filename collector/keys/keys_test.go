package keys_test

import (
	"crypto/aes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// keyPair returns a generated key set and K1, K2 as the file holds them.
func keyPair(t testing.TB) (*keys.Keys, []byte, []byte) {
	t.Helper()
	k, err := keys.Generate(nil, now)
	require.NoError(t, err)
	k1, k2, _ := fileKeys(t, k)
	return k, k1, k2
}

// fileKeys reads K1, K2 and the encryption keys by generation from k's
// file content.
func fileKeys(t testing.TB, k *keys.Keys) ([]byte, []byte, map[uint32][]byte) {
	t.Helper()
	var f struct {
		TokenKey string `json:"token_key"`
		RekeyKey string `json:"rekey_key"`
		EncKeys  []struct {
			Generation uint32 `json:"generation"`
			Key        string `json:"key"`
		} `json:"enc_keys"`
	}
	require.NoError(t, jsonUnmarshal(k.Marshal(), &f))
	k1, err := hex.DecodeString(f.TokenKey)
	require.NoError(t, err)
	k2, err := hex.DecodeString(f.RekeyKey)
	require.NoError(t, err)
	enc := map[uint32][]byte{}
	for _, e := range f.EncKeys {
		b, err := hex.DecodeString(e.Key)
		require.NoError(t, err)
		enc[e.Generation] = b
	}
	return k1, k2, enc
}

// aesHex is the stored form of a 32-hex HMAC output under an encryption
// key, computed independently of the package.
func aesHex(t testing.TB, key []byte, h string) string {
	t.Helper()
	b, err := hex.DecodeString(h)
	require.NoError(t, err)
	c, err := aes.NewCipher(key)
	require.NoError(t, err)
	out := make([]byte, 16)
	c.Encrypt(out, b)
	return hex.EncodeToString(out)
}

func hmac16(key []byte, v string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

var tokenShape = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRekeyIsHMACWithTheSecondKeyThenAES(t *testing.T) {
	k, k1, k2 := keyPair(t)
	require.Len(t, k1, 32)
	require.Len(t, k2, 32)
	require.Equal(t, hex.EncodeToString(k1), k.TokenKeyHex())
	require.Equal(t, uint32(1), k.Generation())
	_, _, enc := fileKeys(t, k)
	require.Len(t, enc[1], 32)
	sealed := func(h string) string { return aesHex(t, enc[1], h) }

	agent := pii.NewTokenizer(k1).Token([]byte("ann@example.com"))
	require.Equal(t, agent, k.AgentToken([]byte("ann@example.com")), "agents and the collector compute the same agent token")

	stored := k.RekeyToken(agent)
	require.Equal(t, sealed(hmac16(k2, agent)), stored)
	require.Regexp(t, tokenShape, stored, "internal/wire's token shape is kept")
	require.NotEqual(t, agent, stored)
	require.Equal(t, stored, k.SearchToken([]byte("ann@example.com")), "search applies both steps")

	toks := []string{agent, hmac16(k1, "bob@example.org"), agent}
	k.Rekey(toks)
	require.Equal(t, []string{stored, sealed(hmac16(k2, hmac16(k1, "bob@example.org"))), stored}, toks)

	// A token longer than the scratch space still hashes correctly.
	long := fmt.Sprintf("%0100d", 7)
	require.Equal(t, sealed(hmac16(k2, long)), k.RekeyToken(long))

	// Generation 0 is what versions before rotatable keys stored.
	g0, err := k.AtGeneration(0)
	require.NoError(t, err)
	require.Equal(t, hmac16(k2, agent), g0.RekeyToken(agent))

	// The stored form passes the record validation ingest applies.
	r := wire.Record{Kind: wire.KindPII, AssetID: "a", Type: "email", Category: "contact", Location: "/x",
		ObservedAt: now, Count: 1, Confidence: "high", Tokens: toks}
	for _, tok := range r.Tokens {
		require.Regexp(t, tokenShape, tok)
	}
}

func TestRekeyAllocatesOnlyTheOutputs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds allocations of its own")
	}
	k, _, _ := keyPair(t)
	toks := make([]string, 100)
	src := make([]string, len(toks))
	for i := range src {
		src[i] = hmac16([]byte("k"), fmt.Sprint(i))
	}
	allocs := testing.AllocsPerRun(50, func() {
		copy(toks, src)
		k.Rekey(toks)
	})
	require.LessOrEqual(t, allocs, float64(len(toks)), "one string per token, nothing else")
}

func TestGenerateKeepsALegacyTokenKey(t *testing.T) {
	legacy := make([]byte, 32)
	legacy[0] = 7
	k, err := keys.Generate(legacy, now)
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(legacy), k.TokenKeyHex())
	other, err := keys.Generate(legacy, now)
	require.NoError(t, err)
	require.NotEqual(t, k.Fingerprint(), other.Fingerprint(), "K2 is new and random each time")
	back, err := keys.Parse(k.Marshal())
	require.NoError(t, err)
	require.Equal(t, k.Fingerprint(), back.Fingerprint())
	require.Equal(t, k.RekeyToken("x"), back.RekeyToken("x"))
}

func TestParseRejects(t *testing.T) {
	good := `{"version":1,"token_key":"` + hex.EncodeToString(make([]byte, 32)) + `","rekey_key":"` + hex.EncodeToString([]byte("0123456789abcdef0123456789abcdef")) + `"}`
	_, err := keys.Parse([]byte(good))
	require.NoError(t, err)
	same := hex.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	for name, in := range map[string]string{
		"not json":      `nope`,
		"wrong version": `{"version":3}`,
		"v1 with enc":   `{"version":1,"token_key":"` + same + `","rekey_key":"` + hex.EncodeToString(make([]byte, 32)) + `","enc_keys":[{"generation":1,"key":"` + same + `"}]}`,
		"enc gen 0":     `{"version":2,"token_key":"` + same + `","rekey_key":"` + hex.EncodeToString(make([]byte, 32)) + `","enc_keys":[{"generation":0,"key":"` + same + `"}]}`,
		"short enc":     `{"version":2,"token_key":"` + same + `","rekey_key":"` + hex.EncodeToString(make([]byte, 32)) + `","enc_keys":[{"generation":1,"key":"` + same[:32] + `"}]}`,
		"long enc":      `{"version":2,"token_key":"` + same + `","rekey_key":"` + hex.EncodeToString(make([]byte, 32)) + `","enc_keys":[{"generation":1,"key":"` + same + `00"}]}`,
		"twice enc":     `{"version":2,"token_key":"` + same + `","rekey_key":"` + hex.EncodeToString(make([]byte, 32)) + `","enc_keys":[{"generation":1,"key":"` + same + `"},{"generation":1,"key":"` + same + `"}]}`,
		"short k1":      `{"version":1,"token_key":"00","rekey_key":"` + same + `"}`,
		"bad hex k2":    `{"version":1,"token_key":"` + same + `","rekey_key":"zz"}`,
		"short k2":      `{"version":1,"token_key":"` + same + `","rekey_key":"` + same[:32] + `"}`,
		"equal keys":    `{"version":1,"token_key":"` + same + `","rekey_key":"` + same + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := keys.Parse([]byte(in))
			require.ErrorIs(t, err, keys.ErrBadKeyFile)
		})
	}
}

func FuzzParse(f *testing.F) {
	k, err := keys.Generate(nil, now)
	require.NoError(f, err)
	f.Add(k.Marshal())
	f.Add([]byte(`{"version":1,"token_key":"00","rekey_key":"11"}`))
	f.Add([]byte(`{}`))
	two, err := k.WithNewGeneration(now)
	require.NoError(f, err)
	f.Add(two.Marshal())
	f.Add([]byte(`{"version":2,"token_key":"` + hex.EncodeToString(make([]byte, 16)) + `","rekey_key":"` + hex.EncodeToString(make([]byte, 32)) + `","enc_keys":[{"generation":7,"key":"` + hex.EncodeToString(make([]byte, 32)) + `"}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := keys.Parse(b)
		if err != nil {
			require.ErrorIs(t, err, keys.ErrBadKeyFile)
			return
		}
		// Whatever parses, round-trips to the same keys.
		back, err := keys.Parse(k.Marshal())
		require.NoError(t, err)
		require.Equal(t, k.Fingerprint(), back.Fingerprint())
		require.Equal(t, k.Generations(), back.Generations())
		require.Equal(t, k.GenerationFingerprint(), back.GenerationFingerprint())
		require.Equal(t, k.RekeyToken("t"), back.RekeyToken("t"))
		require.Regexp(t, tokenShape, back.RekeyToken("t"))
	})
}

// TestReencrypterMovesStoredTokensBetweenGenerations: what a rotation does
// to a stored token equals re-keying the agent token at the new
// generation, without knowing the agent token.
func TestReencrypterMovesStoredTokensBetweenGenerations(t *testing.T) {
	g1, k1, _ := keyPair(t)
	both, err := g1.WithNewGeneration(now)
	require.NoError(t, err)
	require.Equal(t, []uint32{1, 2}, both.Generations())
	require.Equal(t, uint32(2), both.Generation())
	g2 := both.WithOnlyCurrent()
	require.Equal(t, []uint32{2}, g2.Generations())
	g0, err := g1.AtGeneration(0)
	require.NoError(t, err)
	require.Equal(t, g1.Fingerprint(), g2.Fingerprint(), "K1 and K2 stay")
	require.NotEqual(t, g1.GenerationFingerprint(), g2.GenerationFingerprint())
	require.Empty(t, g0.GenerationFingerprint())

	agent := []string{hmac16(k1, "a"), hmac16(k1, "b"), hmac16(k1, "c")}
	at := func(k *keys.Keys) []string {
		out := append([]string(nil), agent...)
		k.Rekey(out)
		return out
	}
	for _, tc := range []struct {
		name     string
		from, to uint32
		src, dst *keys.Keys
	}{
		{"upgrade 0 to 1", 0, 1, g0, g1},
		{"rotation 1 to 2", 1, 2, g1, g2},
		{"back 2 to 0", 2, 0, g2, g0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			move, err := both.Reencrypter(tc.from, tc.to)
			require.NoError(t, err)
			toks := at(tc.src)
			require.NoError(t, move(toks))
			require.Equal(t, at(tc.dst), toks)
			require.NotEqual(t, at(tc.src), toks)
		})
	}
	_, err = g2.Reencrypter(1, 2)
	require.ErrorIs(t, err, keys.ErrNoGeneration, "the old key is gone")
	_, err = both.AtGeneration(3)
	require.ErrorIs(t, err, keys.ErrNoGeneration)

	move, err := both.Reencrypter(1, 2)
	require.NoError(t, err)
	for _, bad := range []string{"", "zz", strings.Repeat("g", 32), strings.Repeat("a", 31), strings.Repeat("a", 34)} {
		require.Error(t, move([]string{bad}), "%q", bad)
	}
}

func TestReplaceFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	k, _, _ := keyPair(t)
	require.NoError(t, keys.CreateFile(path, k))
	two, err := k.WithNewGeneration(now)
	require.NoError(t, err)
	require.NoError(t, keys.ReplaceFile(path, two))
	got, err := keys.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, []uint32{1, 2}, got.Generations())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	left, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, left, 1, "no temporary file is left behind")
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "keys.json")
	_, err := keys.ReadFile(path)
	require.ErrorIs(t, err, keys.ErrNoKeyFile)

	k, _, _ := keyPair(t)
	require.NoError(t, keys.CreateFile(path, k))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := keys.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, k.Fingerprint(), got.Fingerprint())

	// Never replaced: a second create fails and leaves the first file.
	other, _, _ := keyPair(t)
	require.ErrorIs(t, keys.CreateFile(path, other), fs.ErrExist)
	got, err = keys.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, k.Fingerprint(), got.Fingerprint())
	left, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, left, 1, "no temporary file is left behind")

	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		require.NoError(t, os.Chmod(path, mode))
		_, err = keys.ReadFile(path)
		require.ErrorContains(t, err, "chmod 600", "mode %04o", mode)
	}
	require.NoError(t, os.Chmod(path, 0o600))
	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))
	_, err = keys.ReadFile(path)
	require.True(t, errors.Is(err, keys.ErrBadKeyFile))
	require.ErrorContains(t, err, "backup")
}

// BenchmarkRekey measures the ingest hot path: re-keying one batch of
// agent tokens (ns/op is per token).
func BenchmarkRekey(b *testing.B) {
	k, _, _ := keyPair(b)
	src := make([]string, 1000)
	for i := range src {
		src[i] = hmac16([]byte("k"), fmt.Sprint(i))
	}
	toks := make([]string, len(src))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += len(src) {
		n := min(len(src), b.N-done)
		copy(toks[:n], src)
		k.Rekey(toks[:n])
	}
}

// BenchmarkRekeyParallel is the same with every core re-keying (ingest
// re-keys in each request's goroutine).
func BenchmarkRekeyParallel(b *testing.B) {
	k, _, _ := keyPair(b)
	src := hmac16([]byte("k"), "x")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		toks := make([]string, 1)
		for pb.Next() {
			toks[0] = src
			k.Rekey(toks)
		}
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
