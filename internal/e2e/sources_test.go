package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/azblobscan"
	"github.com/sightline-dev/sightline/agent/gcsscan"
	"github.com/sightline-dev/sightline/agent/gcsscan/gcstest"
	"github.com/sightline-dev/sightline/agent/smbscan/smbtest"
)

// Azurite's documented development account and key.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azuriteURL is the test Azurite's blob endpoint (SIGHTLINE_TEST_AZURITE),
// or a skip (a failure under make test).
func azuriteURL(t *testing.T) string {
	u := os.Getenv("SIGHTLINE_TEST_AZURITE")
	if u == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_AZURITE is not set but services are required")
		}
		t.Skip("no Azurite (SIGHTLINE_TEST_AZURITE); make test starts one")
	}
	return u
}

// TestNewSourcesEndToEnd: one agent in run mode scans an SMB share of
// the Samba AD domain controller (files with NT ACLs naming AD groups),
// that domain's directory, an Azure Blob container (Azurite) and a GCS
// bucket (the JSON-API test server), each holding the same person. The
// collector shows each as its own system of the data map with its
// jurisdiction, one subject search finds the person in all three, the
// breach impact of each location prefix counts what is there, and the
// SMB file's readers are the AD users of the groups its ACL names,
// through nested membership. The GCS bucket's IAM policy is principals
// and a bucket grant the collector passes on to the bucket's object: the
// user it names is the object's reader, the group it names reaches the
// object, and allUsers makes the bucket public.
func TestNewSourcesEndToEnd(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	dc := smbtest.Env(t)
	azURL := azuriteURL(t)
	ctx := context.Background()

	// The directory: alice in payroll in hr; the scanner in scanners.
	ou := dc.NewOU(t, "e2e")
	tag := ou.Tag
	scannerPW := "Sightline!" + tag + "x9"
	scanner := ou.User("scanner", scannerPW)
	alice := ou.User("alice", "Alice!"+tag+"x9")
	ou.User("bob", "Bob!"+tag+"x9")
	payroll := ou.Group("payroll", alice)
	hr, scanners := ou.Group("hr", payroll), ou.Group("scanners", scanner)

	// The share: hr/people.csv readable by hr and the scanners.
	admin := dc.Mount(t, "Administrator", dc.Password)
	dir := "e2e" + tag
	require.NoError(t, admin.MkdirAll(dir+"/hr", 0o755))
	smbtest.SetDACL(t, admin, dir, fmt.Sprintf("D:PAI(A;OICI;FR;;;%s)(A;OICI;FA;;;BA)", ou.SID(scanners)))
	smbtest.SetDACL(t, admin, dir+"/hr", fmt.Sprintf("D:PAI(A;OICI;FR;;;%s)(A;OICI;FA;;;BA)", ou.SID(scanners)))
	require.NoError(t, admin.WriteFile(dir+"/hr/people.csv",
		[]byte("full_name,email,ssn\nGrace Hopper,grace.hopper@example.org,536-22-8841\nAlan Turing,alan.turing@example.org,412-67-3301\n"), 0o644))
	smbtest.SetDACL(t, admin, dir+"/hr/people.csv", fmt.Sprintf("D:PAI(A;;FR;;;%s)(A;;FR;;;%s)(A;;FA;;;BA)", ou.SID(hr), ou.SID(scanners)))
	smbHost, _, err := net.SplitHostPort(dc.SMB)
	require.NoError(t, err)
	smbFile := "smb://" + smbHost + "/files/" + dir + "/hr/people.csv"

	// Azure: a container whose blobs anyone may read.
	svc, err := azblobscan.NewClient(azblobscan.Credentials{Account: azuriteAccount, Key: azuriteKey, Endpoint: azURL})
	require.NoError(t, err)
	cont := "e2e-" + tag
	_, err = svc.CreateContainer(ctx, cont, &container.CreateOptions{Access: to.Ptr(container.PublicAccessTypeBlob)})
	require.NoError(t, err)
	_, err = svc.NewContainerClient(cont).NewBlockBlobClient("crm/customers.csv").UploadBuffer(ctx,
		[]byte("name,email\nGrace Hopper,grace.hopper@example.org\nKen Thompson,ken@example.net\n"), &blockblob.UploadBufferOptions{})
	require.NoError(t, err)

	// GCS: a bucket in Europe whose IAM policy lets an analyst and a
	// group read its objects, and everyone on the internet too.
	bucket := "e2e-" + tag
	analyst, readersGroup := "user:Analyst."+tag+"@e2e.example.com", "group:gcs-readers."+tag+"@e2e.example.com"
	gcsURL, _ := gcstest.Server(t, map[string]gcstest.Settings{bucket: {Location: "EUROPE-WEST1", LocationType: "region", Uniform: true,
		Roles: map[string][]string{"roles/storage.objectViewer": {analyst, readersGroup, "allUsers"}}}},
		[]gcstest.Object{{Bucket: bucket, Name: "exports/users.csv", Content: []byte("name,email\nGrace Hopper,grace.hopper@example.org\n")}})

	secrets := t.TempDir()
	writeFiles(t, secrets, map[string]string{"smb.pw": scannerPW, "azure.key": azuriteKey})
	a := s.newAgent([]string{t.TempDir()}, fmt.Sprintf(
		"  ldap:\n    enabled: true\n    interval: 1h\n    url: %s\n    base_dn: %q\n    bind_dn: Administrator@CORP.EXAMPLE.COM\n    password_file: %s\n    ca_file: %s\n"+
			"  smb:\n    enabled: true\n    interval: 1h\n    server: %s\n    share: files\n    folder: %s\n    user: %s\n    domain: CORP\n    password_file: %s\n"+
			"  azblob:\n    enabled: true\n    interval: 1h\n    account: %s\n    key_file: %s\n    endpoint: %s\n    containers: [%q]\n    region: westeurope\n"+
			"  gcs:\n    enabled: true\n    interval: 1h\n    project: e2e-project\n    endpoint: %s\n    buckets: [%q]\n",
		dc.LDAPURL, ou.DN, dc.PasswordFile, dc.CAFile,
		dc.SMB, dir, "scanner"+tag, filepath.Join(secrets, "smb.pw"),
		azuriteAccount, filepath.Join(secrets, "azure.key"), azURL, cont,
		gcsURL, bucket))
	s.runAgent(a)

	// The data map: each source its own system, with its jurisdiction.
	azSystem, gcsSystem := "azblob://"+azuriteAccount+"/"+cont, "gs://"+bucket
	var dm struct {
		Systems []struct {
			System       string   `json:"system"`
			Source       string   `json:"source"`
			Jurisdiction string   `json:"jurisdiction"`
			Public       bool     `json:"public"`
			Types        []string `json:"types"`
			Assets       uint64   `json:"assets"`
		} `json:"systems"`
	}
	systems := map[string]string{}
	require.Eventually(t, func() bool {
		if s.get("/api/v1/datamap", &dm) != 200 {
			return false
		}
		systems = map[string]string{}
		for _, m := range dm.Systems {
			systems[m.System] = fmt.Sprintf("%s %s public=%v assets=%d %v", m.Source, m.Jurisdiction, m.Public, m.Assets, m.Types)
		}
		return len(systems) == 3
	}, 90*time.Second, 200*time.Millisecond, "the three sources never all showed in the data map")
	require.Equal(t, map[string]string{
		smbHost:   "smb unknown public=false assets=1 [email person_name us_ssn]",
		azSystem:  "azblob EU public=true assets=1 [email]",
		gcsSystem: "gcs EU public=true assets=1 [email]",
	}, systems, "the containers take their region's jurisdiction (allUsers in the bucket's policy makes it public); no jurisdiction is configured for the file server")

	// One subject search: the person in all three.
	got, answer := s.subjectSearch(`{"identifiers":[{"type":"email","value":"Grace.Hopper@example.org"}]}`)
	require.Equal(t, map[string][]int{
		smbFile + " email":                     {0},
		azSystem + "/crm/customers.csv email":  {0},
		gcsSystem + "/exports/users.csv email": {0},
	}, got)
	require.NotContains(t, answer, "grace.hopper@")

	// The breach impact of each location prefix.
	for prefix, want := range map[string]map[string][3]int{
		"smb://" + smbHost + "/files/" + dir + "/": {"email": {2, 2, 2}, "us_ssn": {2, 2, 2}, "person_name": {2, 2, 2}},
		azSystem + "/":  {"email": {2, 2, 2}},
		gcsSystem + "/": {"email": {1, 1, 1}},
	} {
		im, answer := s.impact(fmt.Sprintf(`{"locations":[%q]}`, prefix))
		require.Equal(t, want, im, prefix)
		require.NotContains(t, answer, "grace.hopper@")
	}

	// The SMB file's readers: AD users through the groups its ACL names
	// (alice through payroll in hr), joined with the directory scan.
	var readers map[string][]string
	require.Eventually(t, func() bool {
		readers = s.readers(smbFile)
		return len(readers["alice"+tag]) > 0 && len(readers["scanner"+tag]) > 0
	}, 60*time.Second, 200*time.Millisecond, "the directory's users never showed as the file's readers")
	ad := map[string][]string{}
	for name, via := range readers {
		if strings.HasSuffix(name, tag) {
			ad[name] = via
		}
	}
	require.Equal(t, map[string][]string{
		"alice" + tag:   {"group hr" + tag},
		"scanner" + tag: {"group scanners" + tag},
	}, ad, "bob is in no group the ACL names")

	// The GCS object's readers: the bucket's IAM grant reaches its objects
	// (groups and allUsers are sets of accounts, not readers themselves;
	// the project's owners hold it through the legacy owner role).
	gcsObject := gcsSystem + "/exports/users.csv"
	require.Equal(t, map[string][]string{"analyst." + tag + "@e2e.example.com": {"bucket iam: roles/storage.objectViewer"}},
		s.readers(gcsObject), "the analyst reads the object through the bucket's grant")
	// The group reaches it too: its principal page lists the object.
	var group struct {
		Name   string `json:"name"`
		Assets []struct {
			Location string `json:"location"`
		} `json:"reachable_assets_with_pii"`
	}
	require.Equal(t, 200, s.get("/api/v1/principals/"+gcsscan.PrincipalID(readersGroup), &group))
	require.Equal(t, "gcs-readers."+tag+"@e2e.example.com", group.Name)
	require.Len(t, group.Assets, 1)
	require.Equal(t, gcsObject, group.Assets[0].Location)
	s.assertNoRawStored()
}
