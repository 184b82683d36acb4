package smbscan

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/agent/ldapscan"
	"github.com/sightline-dev/sightline/agent/smbscan/smbtest"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// The planted files: what each holds, its DACL (SDDL; {hr}, {alice} and
// {scanners} stand for the SIDs of this run's HR group, alice and the
// scanners group).
var planted = []struct {
	name, body, dacl string
}{
	{"hr/people.csv", "full_name,email,ssn\nAlice Martin,alice.martin@example.org,536-22-8841\nBob Stone,bob.stone@example.org,412-67-3301\n",
		"D:PAI(A;;FR;;;{hr})(A;;FA;;;{alice})(A;;FR;;;{scanners})(A;;FA;;;BA)"},
	{"public.txt", "Contact the front desk at desk@example.org.\n",
		"D:PAI(A;;FR;;;WD)(A;;0x116;;;{hr})(D;;FR;;;{alice})(A;;FR;;;{alice})(A;;FR;;;{scanners})"},
	{"notes.txt", "Nothing personal in here.\n", "D:PAI(A;;FR;;;{scanners})"},
	{"secret.txt", "card 4111 1111 1111 1111\n", "D:PAI(A;;FA;;;BA)"},
}

func TestScanSambaShare(t *testing.T) {
	d := smbtest.Env(t)
	ctx := context.Background()
	ou := d.NewOU(t, "smb")
	tag := ou.Tag
	scannerPW := "Sightline!" + tag + "x9"
	scanner := ou.User("scanner", scannerPW)
	alice := ou.User("alice", "Alice!"+tag+"x9")
	hr, scanners := ou.Group("hr", alice), ou.Group("scanners", scanner)
	hrSID, aliceSID, scannersSID := ou.SID(hr), ou.SID(alice), ou.SID(scanners)

	// Write the files and their ACLs over SMB as Administrator.
	admin := d.Mount(t, "Administrator", d.Password)
	dir := "t" + tag
	require.NoError(t, admin.MkdirAll(dir+"/hr", 0o755))
	for _, p := range []string{dir, dir + "/hr"} {
		smbtest.SetDACL(t, admin, p, fmt.Sprintf("D:PAI(A;OICI;FR;;;%s)(A;OICI;FA;;;BA)", scannersSID))
	}
	for _, f := range planted {
		require.NoError(t, admin.WriteFile(dir+"/"+f.name, []byte(f.body), 0o644))
		smbtest.SetDACL(t, admin, dir+"/"+f.name, strings.NewReplacer("{hr}", hrSID, "{alice}", aliceSID, "{scanners}", scannersSID).Replace(f.dacl))
	}

	tok := pii.NewTokenizer([]byte("0123456789abcdef"))
	host, _, err := net.SplitHostPort(d.SMB)
	require.NoError(t, err)
	statePath := t.TempDir() + "/state"
	state, err := LoadState(statePath, tok, "")
	require.NoError(t, err)
	scan := func() (*wire.Record, []wire.Record) {
		var recs []wire.Record
		res, err := Scan(ctx, Options{Server: d.SMB, Share: "files", Folder: dir, User: "scanner" + tag, Domain: "CORP",
			Password: scannerPW, Detector: pii.NewDefault(), Tokenizer: tok, State: state}, func(r *wire.Record) error {
			wiretest.RequireValid(t, r)
			recs = append(recs, *r)
			return nil
		})
		require.NoError(t, err)
		return res, recs
	}
	// A wrong password: a failed scan that says what to check.
	bad, err := Scan(ctx, Options{Server: d.SMB, Share: "files", User: "scanner" + tag, Domain: "CORP", Password: "wrong",
		Detector: pii.NewDefault(), Tokenizer: tok}, func(*wire.Record) error { return nil })
	require.ErrorContains(t, err, "check the user, domain and password")
	require.Equal(t, wire.StatusFailed, bad.Status)

	res, recs := scan()

	// The file the account may not open is the one problem.
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Len(t, res.Errors, 1, "%v", res.Errors)
	require.Contains(t, res.Errors[0], Location(host, "files", dir+"/secret.txt")+": ")
	require.Equal(t, int64(3), res.Stats["files"])

	// The directory scan of the same domain: the principal ids the ACLs'
	// SIDs must join.
	ldapIDs := map[string]string{} // principal id -> name
	_, err = ldapscan.Scan(ctx, ldapscan.Options{URL: d.LDAPURL, BaseDN: smbtest.BaseDN, BindDN: "Administrator@CORP.EXAMPLE.COM",
		Password: d.Password, CAFile: d.CAFile}, func(r *wire.Record) error {
		if r.Kind == wire.KindPrincipal {
			ldapIDs[r.PrincipalID] = strings.TrimSuffix(r.Name, tag)
		}
		return nil
	})
	require.NoError(t, err)

	type grant struct{ who, perm string }
	assets := map[string]string{} // id -> location relative to the folder
	findings := map[string]map[string]int64{}
	grants := map[string][]grant{}
	var sharePerm []grant
	shareAccess := map[string]string{}
	wellKnown := map[string]string{}
	for _, r := range recs {
		switch r.Kind {
		case wire.KindAsset:
			assets[r.AssetID] = strings.TrimPrefix(strings.TrimPrefix(r.Location, Location(host, "files", dir)), "/")
			shareAccess[assets[r.AssetID]] = r.Attributes["share_access"]
		case wire.KindPrincipal:
			wellKnown[r.PrincipalID] = r.Name
		}
	}
	for _, r := range recs {
		switch r.Kind {
		case wire.KindPII:
			loc := assets[r.AssetID]
			if findings[loc] == nil {
				findings[loc] = map[string]int64{}
			}
			findings[loc][r.Type] = r.Count
		case wire.KindEntitlement:
			who, ok := ldapIDs[r.PrincipalID]
			if !ok {
				who, ok = wellKnown[r.PrincipalID]
			}
			require.True(t, ok, "entitlement for %s: its principal is neither in the directory scan nor named by this scan", r.Via[0])
			require.Equal(t, wire.DirectoryPrincipalID(host, r.Via[0]), r.PrincipalID)
			loc, ok := assets[r.ResourceID]
			require.True(t, ok, "entitlement on an asset the scan did not report")
			if r.Via[1] == "share permission" {
				require.Equal(t, Location(host, "files", ""), loc, "share permissions are on the share")
				sharePerm = append(sharePerm, grant{who + " " + r.Via[0], r.Permission})
				continue
			}
			grants[loc] = append(grants[loc], grant{who + " " + r.Via[0], r.Permission})
		}
	}
	require.Equal(t, map[string]map[string]int64{
		"hr/people.csv": {"email": 2, "us_ssn": 2, "person_name": 2},
		"public.txt":    {"email": 1},
	}, findings)
	for _, g := range grants {
		sort.Slice(g, func(i, j int) bool { return g[i].who+g[i].perm < g[j].who+g[j].perm })
	}
	require.Equal(t, []grant{
		{"Administrators S-1-5-32-544", "read"}, {"Administrators S-1-5-32-544", "write"},
		{"alice " + aliceSID, "read"}, {"alice " + aliceSID, "write"},
		{"hr " + hrSID, "read"},
		{"scanners " + scannersSID, "read"},
	}, grants["hr/people.csv"])
	// public.txt: alice's own read is denied before it is granted; HR may
	// change the file without reading it.
	require.Equal(t, []grant{
		{"Everyone S-1-1-0", "read"},
		{"hr " + hrSID, "write"},
		{"scanners " + scannersSID, "read"},
	}, grants["public.txt"])
	// The share's root folder, as the start script leaves it (root's, mode
	// 0755, no NT ACL): the descriptor Samba derives from the mode, in
	// which root is the domain's Administrator.
	domain := aliceSID[:strings.LastIndexByte(aliceSID, '-')]
	require.Equal(t, []grant{
		{"Administrator " + domain + "-500", "read"}, {"Administrator " + domain + "-500", "write"},
		{"Everyone S-1-1-0", "read"},
		{"SYSTEM S-1-5-18", "read"}, {"SYSTEM S-1-5-18", "write"},
		{"Unix Group 0 S-1-22-2-0", "read"},
	}, grants[Location(host, "files", "")])
	require.Len(t, grants, 3, "the share and the two files with findings")
	// The share's own permissions (srvsvc level 502), as the start script
	// leaves them: Samba's default, everyone full control. So each
	// file's ACL alone decides who reads it.
	require.Equal(t, []grant{{"Everyone S-1-1-0", "read"}, {"Everyone S-1-1-0", "write"}}, sharePerm)
	require.Equal(t, map[string]string{Location(host, "files", ""): "everyone", "hr/people.csv": "everyone", "public.txt": "everyone"}, shareAccess)

	// The same bytes read locally by the content scanner: the same results.
	for _, f := range planted[:2] {
		ms, _, err := content.NewScanner(content.Options{Detector: pii.NewDefault(), Tokenizer: tok}).
			Read(ctx, f.name, bytes.NewReader([]byte(f.body)), bytes.NewReader([]byte(f.body)), int64(len(f.body)))
		require.NoError(t, err)
		want := map[string]int64{}
		for _, r := range ms[0].Results {
			want[r.Type] = r.Count
		}
		require.Equal(t, want, findings[f.name], f.name)
	}

	// Incremental: nothing changed, nothing read, the same records.
	require.NoError(t, state.Save())
	state, err = LoadState(statePath, tok, "")
	require.NoError(t, err)
	res2, recs2 := scan()
	require.Equal(t, int64(0), res2.Stats["bytes"])
	require.Equal(t, int64(3), res2.Stats["unchanged"])
	require.Equal(t, len(recs), len(recs2))
}

// TestScanSambaRestrictedShare: the start script's second share,
// "restricted", whose share permission (set with sharesec) admits only
// one AD group. A user outside it cannot scan the share at all. An
// account Samba runs as root (the domain's Administrator, a member) gets
// the share's real permissions: the group's entitlements on the share
// and share_access "restricted" on every asset, so a file's readers are
// known to be at most its ACL's. (A member that is not root may instead
// be answered Samba's default descriptor, everyone full control: Samba's
// srvsvc worker cannot open share_info.tdb, root's, mode 0600, as that
// user unless an earlier root caller left it open. The README says so.)
func TestScanSambaRestrictedShare(t *testing.T) {
	d := smbtest.Env(t)
	ctx := context.Background()
	ou := d.NewOU(t, "rs")
	tag := ou.Tag
	scannerPW, outsiderPW := "Sightline!"+tag+"x9", "Outsider!"+tag+"x9"
	scanner := ou.User("scanner", scannerPW)
	ou.User("outsider", outsiderPW)
	groupSID := ou.JoinGroup(smbtest.RestrictedGroup, scanner)
	scannersSID := ou.SID(ou.Group("scanners", scanner))

	admin := d.MountShare(t, smbtest.RestrictedShare, "Administrator", d.Password)
	dir := "t" + tag
	require.NoError(t, admin.MkdirAll(dir, 0o755))
	smbtest.SetDACL(t, admin, dir, fmt.Sprintf("D:PAI(A;OICI;FR;;;%s)(A;OICI;FA;;;BA)", scannersSID))
	require.NoError(t, admin.WriteFile(dir+"/people.csv", []byte(planted[0].body), 0o644))
	smbtest.SetDACL(t, admin, dir+"/people.csv", fmt.Sprintf("D:PAI(A;;FR;;;%s)(A;;FA;;;BA)", scannersSID))

	tok := pii.NewTokenizer([]byte("0123456789abcdef"))
	host, _, err := net.SplitHostPort(d.SMB)
	require.NoError(t, err)
	root := Location(host, smbtest.RestrictedShare, "")
	file := Location(host, smbtest.RestrictedShare, dir+"/people.csv")
	type result struct {
		findings    map[string]int64
		sharePerm   [][]string // permission, then via
		shareAccess map[string]string
	}
	scan := func(user, pw string) (*wire.Record, result, error) {
		got := result{findings: map[string]int64{}, shareAccess: map[string]string{}}
		res, err := Scan(ctx, Options{Server: d.SMB, Share: smbtest.RestrictedShare, Folder: dir, User: user, Domain: "CORP",
			Password: pw, Detector: pii.NewDefault(), Tokenizer: tok}, func(r *wire.Record) error {
			wiretest.RequireValid(t, r)
			switch r.Kind {
			case wire.KindAsset:
				got.shareAccess[r.Location] = r.Attributes["share_access"]
			case wire.KindPII:
				got.findings[r.Type] = r.Count
			case wire.KindEntitlement:
				if len(r.Via) > 1 && r.Via[1] == "share permission" {
					require.Equal(t, wire.DirectoryPrincipalID(host, r.Via[0]), r.PrincipalID, "the SID's id, as the directory scan gives it")
					require.Equal(t, wire.StableID(wire.SourceSMB, host, root), r.ResourceID, "share permissions are on the share")
					got.sharePerm = append(got.sharePerm, append([]string{r.Permission}, r.Via...))
				}
			}
			return nil
		})
		return res, got, err
	}

	// Outside the group: the server refuses the share itself.
	res, _, err := scan("outsider"+tag, outsiderPW)
	require.ErrorContains(t, err, "permission denied")
	require.Equal(t, wire.StatusFailed, res.Status)

	res, got, err := scan("Administrator", d.Password)
	require.NoError(t, err)
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)
	require.Equal(t, map[string]int64{"email": 2, "us_ssn": 2, "person_name": 2}, got.findings)
	require.Equal(t, [][]string{
		{"read", groupSID, "share permission", "full control"},
		{"write", groupSID, "share permission", "full control"},
	}, got.sharePerm, "the one group the share permission names, and no one else")
	require.Equal(t, map[string]string{root: "restricted", file: "restricted"}, got.shareAccess)

}

// TestSambaLongMemberName: a zip on a share with a 6,000-byte member name
// gave a location longer than a record holds, which made the collector
// refuse the whole batch. It is shortened (head/…/tail, the asset id of
// the whole) and said so, as in file and object scans.
func TestSambaLongMemberName(t *testing.T) {
	d := smbtest.Env(t)
	ou := d.NewOU(t, "lm")
	admin := d.Mount(t, "Administrator", d.Password)
	dir := "l" + ou.Tag
	require.NoError(t, admin.MkdirAll(dir, 0o755))
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	long := strings.Repeat("m", 6000) + ".txt"
	for _, name := range []string{long, "short.txt"} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, _ = io.WriteString(w, "ann@example.com\n")
	}
	require.NoError(t, zw.Close())
	require.NoError(t, admin.WriteFile(dir+"/people.zip", zbuf.Bytes(), 0o644))

	host, _, err := net.SplitHostPort(d.SMB)
	require.NoError(t, err)
	var members []wire.Record
	res, err := Scan(context.Background(), Options{Server: d.SMB, Share: "files", Folder: dir, User: "Administrator", Domain: "CORP",
		Password: d.Password, Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r, "what the collector checks")
		if r.Kind == wire.KindAsset && r.AssetType == "file" {
			members = append(members, *r)
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, members, 2, res.Errors)
	shortened := 0
	for _, m := range members {
		if m.Attributes["location_shortened"] != "true" {
			continue
		}
		shortened++
		require.LessOrEqual(t, len(m.Location), wire.MaxStringLen)
		require.True(t, strings.HasSuffix(m.Location, "m.txt"), "the tail is kept")
		fit, _ := wire.FitLocation(wire.MemberLocation(Location(host, "files", dir+"/people.zip"), long))
		require.Equal(t, fit, m.Location)
		require.Equal(t, wire.AssetID(wire.SourceSMB, host, fit), m.AssetID, "the id is that of the location it carries (whose mark holds the whole one's hash)")
	}
	require.Equal(t, 1, shortened)
	require.Contains(t, strings.Join(res.Errors, "\n"), "reported shortened")
}
