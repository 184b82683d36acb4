package iamscan

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/iamscan/iamtest"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

func scanIAM(t *testing.T, c *iam.Client) ([]wire.Record, *wire.Record) {
	var recs []wire.Record
	res, err := Scan(context.Background(), Options{Client: c, Account: "111111111111",
		Now: func() time.Time { return time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) }}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r)
		recs = append(recs, *r)
		return nil
	})
	require.NoError(t, err)
	return recs, res
}

func TestIAM(t *testing.T) {
	url, calls := iamtest.Server(t, false)
	c := iamtest.Client(url)
	recs, res := scanIAM(t, c)
	require.GreaterOrEqual(t, calls.Load(), int32(4), "throttled once, two pages, the report")
	var priv, hyg, buckets []string
	for _, r := range recs {
		switch r.Kind {
		case wire.KindPrincipal:
			if r.Privileged {
				priv = append(priv, r.PrincipalType+" "+r.Name+": "+strings.Join(r.PrivilegedVia, " | "))
			}
			if h := r.Attributes["hygiene"]; h != "" {
				hyg = append(hyg, r.Name+": "+h)
			}
		case wire.KindEntitlement:
			if r.ResourceType == "bucket" {
				buckets = append(buckets, r.Permission+" "+strings.Join(r.Via, ""))
			}
		}
	}
	sort.Strings(priv)
	require.Equal(t, []string{
		"group ops: policy ops-all statement 1 allows *:*",
		"role deploy: privilege escalation: iam:PassRole with ec2:RunInstances (policy ci statement 1)",
		"user alice: managed policy AdministratorAccess | policy AdministratorAccess statement 1 allows *:*",
		"user bob: privilege escalation: iam:CreatePolicyVersion (policy rotate statement 1)",
		"user dave: policy ops-all statement 1 allows *:*",
	}, priv, "carol's escalation is denied by her Deny iam:*")
	sort.Strings(hyg)
	require.Equal(t, []string{
		"erin: console_without_mfa,access_key_1_older_than_90_days",
		"frank: access_key_1_unused_90_days,inactive_user_with_active_keys",
	}, hyg)
	require.Equal(t, []string{"read policy hr statement 1"}, buckets)
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Equal(t, []string{"the root account has active access keys"}, res.Errors)
	require.EqualValues(t, 6, res.Stats["users"])
	require.EqualValues(t, 1, res.Stats["summary_accountaccesskeyspresent"])
	var assume []string
	for _, r := range recs {
		if r.Kind == wire.KindEntitlement && r.Permission == "assume" {
			assume = append(assume, strings.Join(r.Via, ""))
		}
	}
	require.Equal(t, []string{"trust policy of deploy: ec2.amazonaws.com"}, assume)
}

// AccessDenied on the credential report: the scan is partial with the
// reason, and the identities and privileges are still reported.
func TestIAMAccessDenied(t *testing.T) {
	url, _ := iamtest.Server(t, true)
	c := iamtest.Client(url)
	recs, res := scanIAM(t, c)
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Equal(t, []string{"credential report: AccessDenied"}, res.Errors)
	n := 0
	for _, r := range recs {
		if r.Kind == wire.KindPrincipal && r.Privileged {
			n++
		}
	}
	require.Equal(t, 5, n)
}
