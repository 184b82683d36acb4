package azblobscan

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/internal/extract/docgen"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// Azurite's account and key: the emulator's fixed, published development
// credentials, not a secret.
const (
	devAccount = "devstoreaccount1"
	devKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azurite returns the blob endpoint of the Azurite that make test starts
// (SIGHTLINE_TEST_AZURITE, http://127.0.0.1:PORT/devstoreaccount1), and a
// suffix that keeps this test's containers apart from others'.
func azurite(t *testing.T) (string, string) {
	t.Helper()
	u := os.Getenv("SIGHTLINE_TEST_AZURITE")
	if u == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_AZURITE is not set but services are required")
		}
		t.Skip("no Azurite (SIGHTLINE_TEST_AZURITE); make test starts one")
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return u, hex.EncodeToString(b)
}

func client(t *testing.T, endpoint string) *service.Client {
	c, err := NewClient(Credentials{Account: devAccount, Key: devKey, Endpoint: endpoint})
	require.NoError(t, err)
	return c
}

func put(t *testing.T, svc *service.Client, cont, name string, data []byte) {
	_, err := svc.NewContainerClient(cont).NewBlockBlobClient(name).UploadBuffer(context.Background(), data, &blockblob.UploadBufferOptions{})
	require.NoError(t, err)
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func scan(t *testing.T, o Options) ([]wire.Record, *wire.Record) {
	var recs []wire.Record
	o.Detector, o.Tokenizer = pii.NewDefault(), pii.NewTokenizer([]byte("k"))
	res, err := Scan(context.Background(), o, func(r *wire.Record) error {
		wiretest.RequireValid(t, r)
		recs = append(recs, *r)
		return nil
	})
	require.NoError(t, err)
	return recs, res
}

func TestContainers(t *testing.T) {
	endpoint, sfx := azurite(t)
	svc := client(t, endpoint)
	ctx := context.Background()
	pub, blobPub, priv := "pub-"+sfx, "blobpub-"+sfx, "priv-"+sfx
	for name, level := range map[string]*container.PublicAccessType{pub: to.Ptr(container.PublicAccessTypeContainer),
		blobPub: to.Ptr(container.PublicAccessTypeBlob), priv: nil} {
		_, err := svc.CreateContainer(ctx, name, &container.CreateOptions{Access: level})
		require.NoError(t, err)
	}
	var docx bytes.Buffer
	require.NoError(t, docgen.WriteDOCX(&docx, []string{"Employee SSN: 123-45-6780"}))
	put(t, svc, pub, "crm/customers.csv", []byte("name,email\nAnn,ann@example.com\nBob,bob@example.org\n"))
	put(t, svc, pub, "img/logo.png", []byte{0x89, 'P', 'N', 'G', 0, 0})
	put(t, svc, blobPub, "export/users.json", []byte(`{"users":[{"email":"c@example.com","card":"4111111111111111"}]}`))
	put(t, svc, priv, "hr/letter.docx", docx.Bytes())
	put(t, svc, priv, "logs/app.log.gz", gz(t, "login d@example.com\n"))
	put(t, svc, priv, "notes.txt", []byte("nothing personal\n"))

	// Stored access policies on the private container: one read-only
	// until next year, one that may write and delete and sets no expiry.
	next := time.Now().UTC().Add(365 * 24 * time.Hour).Truncate(time.Second)
	_, err := svc.NewContainerClient(priv).SetAccessPolicy(ctx, &container.SetAccessPolicyOptions{ContainerACL: []*container.SignedIdentifier{
		{ID: to.Ptr("readers"), AccessPolicy: &container.AccessPolicy{Expiry: &next, Permission: to.Ptr("rl")}},
		{ID: to.Ptr("etl-loader"), AccessPolicy: &container.AccessPolicy{Permission: to.Ptr("racwdl")}},
	}})
	require.NoError(t, err)

	anon, err := service.NewClientWithNoCredential(endpoint, nil)
	require.NoError(t, err)
	// Every container the account lists (other tests' too): ours are
	// checked.
	recs, res := scan(t, Options{Client: svc, Anonymous: anon, Account: devAccount, Region: "westeurope"})
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)

	type verdict struct{ level, public, evidence, encryption, encrypted, jurisdiction, withPII, policies string }
	got := map[string]verdict{}
	counts := map[string]int64{}
	objects := map[string]map[string]string{}
	for _, r := range recs {
		if !strings.Contains(r.Location, sfx) {
			continue
		}
		loc := strings.TrimPrefix(r.Location, "azblob://"+devAccount+"/")
		switch {
		case r.Kind == wire.KindAsset && r.AssetType == "bucket":
			a := r.Attributes
			got[loc] = verdict{a["public_access"], a["public"], a["public_evidence"], a["encryption"], a["encrypted"], a["jurisdiction"], a["objects_with_pii"],
				a["stored_access_policies"] + " " + a["stored_access_policy_widest"] + " " + a["stored_access_policy_never_expires"]}
			require.NotContains(t, fmt.Sprint(a), "etl-loader", "policy names are free text, not reported")
			require.Equal(t, "westeurope", a["region"])
			require.Equal(t, wire.SourceAzureBlob, r.Source)
			require.Equal(t, devAccount, r.Host)
		case r.Kind == wire.KindAsset && r.AssetType == "object":
			objects[loc] = r.Attributes
		case r.Kind == wire.KindPII:
			counts[loc+" "+r.Type] = r.Count
		}
	}
	require.Equal(t, map[string]verdict{
		pub:     {"container", "true", "access level container; anonymous read allowed", "account-key", "true", "EU", "1", "0  false"},
		blobPub: {"blob", "true", "access level blob; anonymous read allowed", "account-key", "true", "EU", "1", "0  false"},
		priv:    {"none", "false", "", "account-key", "true", "EU", "2", "2 racwdl true"},
	}, got)
	require.Equal(t, map[string]int64{
		pub + "/crm/customers.csv email":           2,
		blobPub + "/export/users.json email":       1,
		blobPub + "/export/users.json credit_card": 1,
		priv + "/hr/letter.docx us_ssn":            1,
		priv + "/logs/app.log.gz email":            1,
	}, counts)
	a := objects[pub+"/crm/customers.csv"]
	require.Equal(t, pub, a["bucket"])
	require.Equal(t, "BlockBlob", a["blob_type"])
	require.NotEmpty(t, a["etag"])
	require.Equal(t, "account-key", a["encryption"])
}

// A second scan with the state reads no unchanged blob and reports the
// same findings; a blob rewritten since is read again.
func TestIncremental(t *testing.T) {
	endpoint, sfx := azurite(t)
	svc := client(t, endpoint)
	cont := "inc-" + sfx
	_, err := svc.CreateContainer(context.Background(), cont, nil)
	require.NoError(t, err)
	put(t, svc, cont, "a.csv", []byte("email\nann.smith@example.com\n"))
	put(t, svc, cont, "n.txt", []byte("nothing\n"))
	tok := pii.NewTokenizer([]byte("k"))
	path := t.TempDir() + "/azblob-state.json"
	run := func() (map[string]int64, *wire.Record) {
		st, err := LoadState(path, tok, "")
		require.NoError(t, err)
		recs, res := scan(t, Options{Client: svc, Account: devAccount, Containers: []string{cont}, Common: objscan.Common{State: st}})
		require.NoError(t, st.Save())
		counts := map[string]int64{}
		for _, r := range recs {
			if r.Kind == wire.KindPII {
				counts[r.Location+" "+r.Type] = r.Count
			}
		}
		return counts, res
	}
	loc := Location(devAccount, cont, "a.csv")
	first, r1 := run()
	second, r2 := run()
	require.Equal(t, map[string]int64{loc + " email": 1}, first)
	require.Equal(t, first, second)
	require.EqualValues(t, 2, r1.Stats["objects_read"])
	require.EqualValues(t, 0, r2.Stats["objects_read"])
	require.EqualValues(t, 2, r2.Stats["objects_unchanged"])
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(data), "ann.smith")

	put(t, svc, cont, "n.txt", []byte("now b@example.com and c@example.com\n"))
	third, r3 := run()
	require.Equal(t, map[string]int64{loc + " email": 1, Location(devAccount, cont, "n.txt") + " email": 2}, third)
	require.EqualValues(t, 1, r3.Stats["objects_read"])
	require.EqualValues(t, 1, r3.Stats["objects_unchanged"])
}

// The object budget and the per-object byte budget hold: of many blobs
// only MaxObjects are read, each only BytesPerObject bytes.
func TestBudgets(t *testing.T) {
	endpoint, sfx := azurite(t)
	svc := client(t, endpoint)
	cont := "budget-" + sfx
	_, err := svc.CreateContainer(context.Background(), cont, nil)
	require.NoError(t, err)
	big := strings.Repeat("filler line without anything personal\n", 200) + "mail f@example.com\n"
	for _, n := range []string{"a.log", "b.log", "c.log", "d.log"} {
		put(t, svc, cont, n, []byte(big))
	}
	recs, res := scan(t, Options{Client: svc, Account: devAccount, Containers: []string{cont},
		Common: objscan.Common{Sampling: objscan.Sampling{MaxObjects: 2, BytesPerObject: 1000}}})
	require.EqualValues(t, 4, res.Stats["objects_listed"])
	require.EqualValues(t, 2, res.Stats["objects_read"])
	require.EqualValues(t, 2000, res.Stats["bytes"])
	for _, r := range recs {
		require.NotEqual(t, wire.KindPII, r.Kind, "the address lies past the first 1000 bytes")
	}
}

// A container the credentials cannot read makes the scan partial with the
// reason; a wrong key fails the listing.
func TestDenied(t *testing.T) {
	endpoint, _ := azurite(t)
	bad, err := NewClient(Credentials{Account: devAccount, Key: "AAAA" + devKey[4:], Endpoint: endpoint})
	require.NoError(t, err)
	_, res := scan(t, Options{Client: bad, Account: devAccount})
	require.Equal(t, wire.StatusFailed, res.Status)
	require.Contains(t, strings.Join(res.Errors, "; "), "listing containers: AuthorizationFailure")
}

func TestStoredPolicies(t *testing.T) {
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	pol := func(perm string, expiry *time.Time) *container.SignedIdentifier {
		return &container.SignedIdentifier{ID: to.Ptr("p"), AccessPolicy: &container.AccessPolicy{Permission: to.Ptr(perm), Expiry: expiry}}
	}
	for name, c := range map[string]struct {
		ids  []*container.SignedIdentifier
		want map[string]string
	}{
		"none": {nil, map[string]string{"stored_access_policies": "0", "stored_access_policy_never_expires": "false"}},
		"read, expiring": {[]*container.SignedIdentifier{pol("lr", &later)},
			map[string]string{"stored_access_policies": "1", "stored_access_policy_widest": "rl", "stored_access_policy_never_expires": "false"}},
		"union, one without expiry": {[]*container.SignedIdentifier{pol("r", &later), pol("wd", nil), nil},
			map[string]string{"stored_access_policies": "2", "stored_access_policy_widest": "rwd", "stored_access_policy_never_expires": "true"}},
		"no permission, no policy body": {[]*container.SignedIdentifier{{ID: to.Ptr("x")}, pol("?", &later)},
			map[string]string{"stored_access_policies": "2", "stored_access_policy_widest": "none", "stored_access_policy_never_expires": "true"}},
	} {
		require.Equal(t, c.want, storedPolicies(c.ids), name)
	}
}
