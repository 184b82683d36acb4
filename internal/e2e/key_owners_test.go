package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/iamscan/iamtest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestFoundKeyJoinsIAMUser: one agent scans a tree whose .env holds bob's
// access key and the account on the IAM test server; the collector joins
// the file's aws_access_key finding to bob (privileged through
// iam:CreatePolicyVersion, key last used in July) by keyed token, and the
// key id is nowhere in what the collector stores or answers.
func TestFoundKeyJoinsIAMUser(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := t.TempDir()
	bobKey := iamtest.AccessKeys["bob"][0].ID
	env := filepath.Join(root, "srv", "app", ".env")
	require.NoError(t, os.MkdirAll(filepath.Dir(env), 0o755))
	require.NoError(t, os.WriteFile(env, []byte("DATABASE_URL=postgres://app@db/app\nAWS_ACCESS_KEY_ID="+bobKey+"\n"), 0o644))
	other := filepath.Join(root, "srv", "app", "unknown.env") // a key no user of the account has
	require.NoError(t, os.WriteFile(other, []byte("aws_access_key_id = AKIAZZZZQ2NOBODY7KEY\n"), 0o644))

	iamURL, _ := iamtest.Server(t, false)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	a := s.newAgent([]string{root}, fmt.Sprintf("  iam:\n    enabled: true\n    interval: 1h\n    endpoint: %s\n    account: \"111111111111\"\n", iamURL))
	s.runAgent(a)

	var found struct {
		Items []struct {
			AssetID  string `json:"asset_id"`
			Location string `json:"location"`
		} `json:"items"`
		Total int `json:"total"`
	}
	require.Eventually(t, func() bool {
		return s.get("/api/v1/findings?type=aws_access_key", &found) == 200 && found.Total == 2
	}, 30*time.Second, 100*time.Millisecond, "the key findings did not arrive")
	var users struct {
		Total int `json:"total"`
	}
	require.Eventually(t, func() bool {
		return s.get("/api/v1/principals?source=iam&type=user", &users) == 200 && users.Total == 6
	}, 30*time.Second, 100*time.Millisecond, "the IAM users did not arrive")
	s.waitIndexed(2)

	type owners struct {
		AssetID  string `json:"asset_id"`
		Location string `json:"location"`
		Items    []struct {
			Principal struct {
				Name          string   `json:"name"`
				Source        string   `json:"source"`
				Privileged    bool     `json:"privileged"`
				PrivilegedVia []string `json:"privileged_via"`
			} `json:"principal"`
			KeyLastUsed string `json:"access_key_last_used"`
			Summary     string `json:"summary"`
		} `json:"items"`
		Total int `json:"total"`
	}
	byLoc := map[string]owners{}
	for _, f := range found.Items {
		var o owners
		require.Equal(t, 200, s.get("/api/v1/assets/"+f.AssetID+"/key-owners", &o))
		require.Equal(t, f.AssetID, o.AssetID)
		byLoc[f.Location] = o
	}
	bob := byLoc[wire.FileLocation(env)]
	require.Equal(t, 1, bob.Total, "%+v", byLoc)
	require.Equal(t, "bob", bob.Items[0].Principal.Name)
	require.Equal(t, "iam", bob.Items[0].Principal.Source)
	require.True(t, bob.Items[0].Principal.Privileged)
	require.Equal(t, iamtest.BobKeyLastUsed, bob.Items[0].KeyLastUsed)
	require.Contains(t, bob.Items[0].Summary, "belongs to IAM user bob (privileged: privilege escalation: iam:CreatePolicyVersion")
	require.Contains(t, bob.Items[0].Summary, "key last used "+iamtest.BobKeyLastUsed)
	require.Zero(t, byLoc[wire.FileLocation(other)].Total, "a key no user has joins to nobody")

	// And from bob's side: the files his keys were found in.
	var iamUsers struct {
		Items []struct {
			ID   string `json:"principal_id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/principals?source=iam&type=user", &iamUsers))
	keyFiles := map[string][]string{}
	for _, u := range iamUsers.Items {
		var kf struct {
			Items []struct {
				Location string `json:"location"`
			} `json:"items"`
		}
		require.Equal(t, 200, s.get("/api/v1/principals/"+u.ID+"/key-files", &kf))
		for _, it := range kf.Items {
			keyFiles[u.Name] = append(keyFiles[u.Name], it.Location)
		}
	}
	require.Equal(t, map[string][]string{"bob": {wire.FileLocation(env)}}, keyFiles)

	for _, path := range []string{"/api/v1/assets/" + found.Items[0].AssetID + "/key-owners", "/api/v1/assets/" + found.Items[1].AssetID + "/key-owners",
		"/api/v1/principals?source=iam", "/api/v1/findings?type=aws_access_key"} {
		body := s.rawAPI(path)
		require.NotContains(t, body, bobKey, path)
		require.NotContains(t, strings.ToLower(body), strings.ToLower(bobKey), path)
	}
	require.Zero(t, s.scalar("SELECT count() FROM %s.principals WHERE arrayExists(v -> position(v, 'AKIA') > 0, attr_values)"), "no key id is stored")
	require.Zero(t, s.scalar("SELECT count() FROM %s.principal_tokens WHERE arrayExists(t -> NOT match(t, '^[0-9a-f]{32}$'), tokens)"),
		"only tokens are stored")
	require.EqualValues(t, 3, s.scalar("SELECT count() FROM %s.principal_tokens FINAL WHERE length(tokens) = 1"),
		"bob, erin and frank have one active key each")
}
