package admission_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/admission"
	"github.com/sightline-dev/sightline/internal/wire"
)

func TestBudgetIsSharedAndReleased(t *testing.T) {
	c := admission.New(admission.Options{MemoryBudgetBytes: 4 << 20, MaxInflight: 8})
	a, err := c.Admit("a")
	require.NoError(t, err)
	b, err := c.Admit("b")
	require.NoError(t, err)
	require.NoError(t, a.Charge(2<<20))
	// b cannot take what a holds: busy (retry later), not too large.
	require.ErrorIs(t, b.Charge(2<<20), admission.ErrBusy)
	// A batch larger than the whole budget can never fit: too large.
	require.ErrorIs(t, b.Charge(5<<20), admission.ErrTooLarge)
	a.Release(false)
	a.Release(false) // idempotent
	require.NoError(t, b.Charge(2<<20))
	b.Release(false)
	st := c.Stats()
	require.Zero(t, st.UsedBytes)
	require.Zero(t, st.Inflight)
}

func TestInflightCap(t *testing.T) {
	c := admission.New(admission.Options{MaxInflight: 2})
	a, err := c.Admit("a")
	require.NoError(t, err)
	_, err = c.Admit("a")
	require.NoError(t, err)
	_, err = c.Admit("b")
	require.ErrorIs(t, err, admission.ErrBusy)
	a.Release(false)
	_, err = c.Admit("b")
	require.NoError(t, err)
}

func TestAdmitRefusedWhenBudgetSpent(t *testing.T) {
	c := admission.New(admission.Options{MemoryBudgetBytes: 2 * admission.RequestOverheadBytes})
	_, err := c.Admit("a")
	require.NoError(t, err)
	_, err = c.Admit("b")
	require.NoError(t, err)
	_, err = c.Admit("c")
	require.ErrorIs(t, err, admission.ErrBusy, "every batch holds its decoder's overhead")
}

// A request that ended while its rows still wait in the ingester keeps its
// bytes until the ingester has flushed the rows that were pending then.
func TestQueuedReleaseWaitsForFlush(t *testing.T) {
	pending := 0
	c := admission.New(admission.Options{MemoryBudgetBytes: 8 << 20, PendingRows: func() int { return pending }})
	a, err := c.Admit("a")
	require.NoError(t, err)
	require.NoError(t, a.Charge(1<<20))
	held := a.Held()
	pending = 300 // 200 rows of earlier batches, then a's 100
	a.Release(true)
	require.Equal(t, held, c.Stats().UsedBytes)
	require.Equal(t, 1, c.Stats().Deferred)
	require.Zero(t, c.Stats().Inflight)
	c.Flushed(200)
	require.Equal(t, held, c.Stats().UsedBytes, "a's rows are not flushed yet")
	c.Flushed(100)
	require.Zero(t, c.Stats().UsedBytes)
	require.Zero(t, c.Stats().Deferred)

	// Nothing pending: released at once.
	pending = 0
	b, err := c.Admit("b")
	require.NoError(t, err)
	b.Release(true)
	require.Zero(t, c.Stats().UsedBytes)
}

func TestAgentRate(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := admission.New(admission.Options{AgentRate: 100, AgentBurst: 1000, Now: func() time.Time { return now }})
	for i := 0; i < 2; i++ {
		tk, err := c.Admit("a")
		require.NoError(t, err)
		tk.Records(600)
		tk.Release(false)
	}
	// 1200 records against a burst of 1000: a is 200 in debt, so 2 s.
	_, err := c.Admit("a")
	var re *admission.RateError
	require.ErrorAs(t, err, &re)
	require.InDelta(t, 2*time.Second, re.RetryAfter, float64(20*time.Millisecond))
	// Other agents have their own bucket.
	tk, err := c.Admit("b")
	require.NoError(t, err)
	tk.Release(false)
	now = now.Add(2100 * time.Millisecond)
	tk, err = c.Admit("a")
	require.NoError(t, err)
	// A batch beyond the burst is charged as one burst: let through once.
	tk.Records(50000)
	tk.Release(false)
	_, err = c.Admit("a")
	require.ErrorAs(t, err, &re)
	require.LessOrEqual(t, re.RetryAfter, 11*time.Second)
}

func TestNoAgentRateByDefault(t *testing.T) {
	c := admission.New(admission.Options{})
	for i := 0; i < 100; i++ {
		tk, err := c.Admit("a")
		require.NoError(t, err)
		tk.Records(1 << 20)
		tk.Release(false)
	}
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func readRatio(t testing.TB, body []byte, maxRatio float64, grace int64) (int64, error) {
	cr := &admission.CountingReader{R: bytes.NewReader(body)}
	zr, err := gzip.NewReader(cr)
	require.NoError(t, err)
	rr := &admission.RatioReader{R: zr, Compressed: cr, Max: maxRatio, Grace: grace}
	n, err := io.Copy(io.Discard, rr)
	return n, err
}

// realisticBatch is NDJSON like an fsscan batch: per-file records with
// hex ids and paths (these gzip about 9-11x; see the package README note
// in collector/api).
func realisticBatch(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		id := wire.StableID("asset", fmt.Sprint(i))
		fmt.Fprintf(&b, `{"kind":"asset","source":"fs","scan_id":"5585af79817fa7c72b5296f5","observed_at":"2026-12-02T03:34:26Z","host":"vm","asset_id":"%s","asset_type":"file","location":"file:///srv/share/dept-%d/report-%d.csv","owner":"u%d","size":%d,"attributes":{"mode":"0644"}}`+"\n",
			id, i%97, i, i%13, 1000+i*7)
		fmt.Fprintf(&b, `{"kind":"pii","source":"fs","scan_id":"5585af79817fa7c72b5296f5","observed_at":"2026-12-02T03:34:26Z","asset_id":"%s","type":"email","category":"contact","count":%d,"distinct":3,"confidence":"high","tokens":["%s","%s"]}`+"\n",
			id, i%50+1, wire.StableID("t", fmt.Sprint(i)), wire.StableID("u", fmt.Sprint(i)))
	}
	return []byte(b.String())
}

func TestRatio(t *testing.T) {
	real := realisticBatch(2000)
	z := gz(t, real)
	t.Logf("realistic batch: %d bytes, gzip %d (%.1fx)", len(real), len(z), float64(len(real))/float64(len(z)))
	n, err := readRatio(t, z, 100, 1<<20)
	require.NoError(t, err, "a real batch passes")
	require.EqualValues(t, len(real), n)

	// A bomb: valid-looking, extremely repetitive records.
	line := `{"kind":"asset","source":"fs","scan_id":"s","observed_at":"2026-12-02T03:34:26Z","asset_id":"a","asset_type":"file","location":"file:///x"}` + "\n"
	bomb := gz(t, bytes.Repeat([]byte(line), 100000)) // ~13 MB decoded
	n, err = readRatio(t, bomb, 100, 1<<20)
	var re *admission.RatioError
	require.ErrorAs(t, err, &re)
	require.Less(t, n, int64(8<<20), "refused within the first MiBs")

	// Off (<= 0): read to the end.
	n, err = readRatio(t, bomb, -1, 1<<20)
	require.NoError(t, err)
	require.EqualValues(t, 100000*len(line), n)
	// Within the grace: small, highly compressible bodies pass.
	_, err = readRatio(t, gz(t, bytes.Repeat([]byte(line), 1000)), 100, 1<<20)
	require.NoError(t, err)
}

func TestRecordBytesCoversTheRecord(t *testing.T) {
	small := wire.Record{Kind: "asset"}
	big := wire.Record{Kind: "pii", Tokens: []string{strings.Repeat("a", 64), strings.Repeat("b", 64)},
		Attributes: map[string]string{"k": strings.Repeat("v", 1000)}, Location: strings.Repeat("l", 4000)}
	require.Greater(t, admission.RecordBytes(&small), int64(3*500))
	require.Greater(t, admission.RecordBytes(&big), admission.RecordBytes(&small)+5000)
}

func TestErrorsAreDistinct(t *testing.T) {
	require.False(t, errors.Is(admission.ErrBusy, admission.ErrTooLarge))
	require.Contains(t, (&admission.RatioError{Decoded: 100 << 20, Compressed: 1 << 10, Max: 100}).Error(), "100x")
}
