// Package iamtest serves the IAM Query API for tests, with XML as AWS
// documents it: an account of users, groups, roles and policies covering
// an administrator, privilege escalation, a Deny that overrides, a group
// granting *:*, console users without MFA and stale keys.
package iamtest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"
)

const ns = `xmlns="https://iam.amazonaws.com/doc/2010-05-08/"`

func doc(statements ...string) string {
	return url.QueryEscape(`{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`)
}

func inline(name, d string) string {
	return "<member><PolicyName>" + name + "</PolicyName><PolicyDocument>" + d + "</PolicyDocument></member>"
}

func user(name, extra string) string {
	return fmt.Sprintf(`<member><UserName>%s</UserName><UserId>AID%s</UserId><Arn>arn:aws:iam::111111111111:user/%s</Arn><Path>/</Path><CreateDate>2024-01-01T00:00:00Z</CreateDate>%s</member>`,
		name, strings.ToUpper(name), name, extra)
}

// AccessKeys are the users' access key ids (AKIA + 16 base-32
// characters, as agents find them in files): bob's (an escalation through
// iam:CreatePolicyVersion) is active and was last used on BobKeyLastUsed;
// frank's second key is inactive.
var AccessKeys = map[string][]struct{ ID, Status string }{
	"bob":   {{"AKIABOBQ2DEPLOY7KEY3", "Active"}},
	"erin":  {{"AKIAERINQ2WEBAPPKEY4", "Active"}},
	"frank": {{"AKIAFRANKQ2REPORTS56", "Active"}, {"AKIAFRANKQ2OLDKEY7AA", "Inactive"}},
}

// BobKeyLastUsed is when bob's key was last used; the others never were.
const BobKeyLastUsed = "2026-07-25T09:30:00Z"

// Server speaks the IAM Query API as AWS documents it: two pages of
// authorization details (IsTruncated/Marker), one Throttling answer first,
// the credential report as base64 CSV; denyReport answers AccessDenied.
func Server(t *testing.T, denyReport bool) (string, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	page1 := user("alice", `<AttachedManagedPolicies><member><PolicyName>AdministratorAccess</PolicyName><PolicyArn>arn:aws:iam::aws:policy/AdministratorAccess</PolicyArn></member></AttachedManagedPolicies>`) +
		user("bob", `<UserPolicyList>`+inline("rotate", doc(`{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"*"}`))+`</UserPolicyList>`) +
		user("carol", `<UserPolicyList>`+inline("keys", doc(`{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:*","Resource":"*"}`))+`</UserPolicyList>`)
	page2 := user("dave", `<GroupList><member>ops</member></GroupList>`) +
		user("erin", "") +
		user("frank", `<UserPolicyList>`+inline("hr", doc(`{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::hr-data/*"}`))+`</UserPolicyList>`)
	groups := `<GroupDetailList><member><GroupName>ops</GroupName><GroupId>AGOPS</GroupId><Arn>arn:aws:iam::111111111111:group/ops</Arn><Path>/</Path><CreateDate>2024-01-01T00:00:00Z</CreateDate><GroupPolicyList>` +
		inline("ops-all", doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`)) + `</GroupPolicyList></member></GroupDetailList>`
	roles := `<RoleDetailList><member><RoleName>deploy</RoleName><RoleId>AROADEPLOY</RoleId><Arn>arn:aws:iam::111111111111:role/deploy</Arn><Path>/</Path><CreateDate>2024-01-01T00:00:00Z</CreateDate>` +
		`<AssumeRolePolicyDocument>` + doc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`) + `</AssumeRolePolicyDocument><RolePolicyList>` +
		inline("ci", doc(`{"Effect":"Allow","Action":["iam:PassRole","ec2:RunInstances"],"Resource":"*"}`)) + `</RolePolicyList></member></RoleDetailList>`
	policies := `<Policies><member><PolicyName>AdministratorAccess</PolicyName><PolicyId>ANPAADMIN</PolicyId><Arn>arn:aws:iam::aws:policy/AdministratorAccess</Arn><DefaultVersionId>v1</DefaultVersionId><PolicyVersionList><member><Document>` +
		doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`) + `</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></member></PolicyVersionList></member></Policies>`
	report := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
		"<root_account>,arn:aws:iam::111111111111:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,not_supported,not_supported,true,true,2021-01-01T00:00:00+00:00,2026-11-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"alice,arn:aws:iam::111111111111:user/alice,2024-01-01T00:00:00+00:00,true,2026-11-20T00:00:00+00:00,2026-01-01T00:00:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"erin,arn:aws:iam::111111111111:user/erin,2024-01-01T00:00:00+00:00,true,2026-11-20T00:00:00+00:00,2026-01-01T00:00:00+00:00,N/A,false,true,2025-01-01T00:00:00+00:00,2026-11-10T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"frank,arn:aws:iam::111111111111:user/frank,2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-10-01T00:00:00+00:00,2025-01-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		n := calls.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		fail := func(status int, code string) {
			w.WriteHeader(status)
			fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`, ns, code, code)
		}
		switch r.Form.Get("Action") {
		case "GetAccountAuthorizationDetails":
			if n == 1 {
				fail(400, "Throttling") // the SDK's retryer must take it
				return
			}
			body, more := page1, `<IsTruncated>true</IsTruncated><Marker>m1</Marker>`
			extra := ""
			if r.Form.Get("Marker") == "m1" {
				body, more, extra = page2, `<IsTruncated>false</IsTruncated>`, groups+roles+policies
			}
			fmt.Fprintf(w, `<GetAccountAuthorizationDetailsResponse %s><GetAccountAuthorizationDetailsResult>%s<UserDetailList>%s</UserDetailList>%s</GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>`,
				ns, more, body, extra)
		case "GetAccountSummary":
			fmt.Fprintf(w, `<GetAccountSummaryResponse %s><GetAccountSummaryResult><SummaryMap>`+
				`<entry><key>AccountMFAEnabled</key><value>1</value></entry><entry><key>Users</key><value>6</value></entry>`+
				`<entry><key>AccountAccessKeysPresent</key><value>1</value></entry></SummaryMap></GetAccountSummaryResult></GetAccountSummaryResponse>`, ns)
		case "GenerateCredentialReport":
			fmt.Fprintf(w, `<GenerateCredentialReportResponse %s><GenerateCredentialReportResult><State>COMPLETE</State></GenerateCredentialReportResult></GenerateCredentialReportResponse>`, ns)
		case "GetCredentialReport":
			if denyReport {
				fail(403, "AccessDenied")
				return
			}
			fmt.Fprintf(w, `<GetCredentialReportResponse %s><GetCredentialReportResult><Content>%s</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>2026-11-22T00:00:00Z</GeneratedTime></GetCredentialReportResult></GetCredentialReportResponse>`,
				ns, base64.StdEncoding.EncodeToString([]byte(report)))
		case "ListAccessKeys":
			var members strings.Builder
			for _, k := range AccessKeys[r.Form.Get("UserName")] {
				fmt.Fprintf(&members, `<member><UserName>%s</UserName><AccessKeyId>%s</AccessKeyId><Status>%s</Status><CreateDate>2025-01-01T00:00:00Z</CreateDate></member>`,
					r.Form.Get("UserName"), k.ID, k.Status)
			}
			fmt.Fprintf(w, `<ListAccessKeysResponse %s><ListAccessKeysResult><AccessKeyMetadata>%s</AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult></ListAccessKeysResponse>`, ns, members.String())
		case "GetAccessKeyLastUsed":
			used := ""
			if r.Form.Get("AccessKeyId") == AccessKeys["bob"][0].ID {
				used = "<LastUsedDate>" + BobKeyLastUsed + "</LastUsedDate>"
			}
			fmt.Fprintf(w, `<GetAccessKeyLastUsedResponse %s><GetAccessKeyLastUsedResult><UserName>u</UserName><AccessKeyLastUsed>%s<ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed></GetAccessKeyLastUsedResult></GetAccessKeyLastUsedResponse>`, ns, used)
		default:
			fail(400, "InvalidAction")
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &calls
}

// Client returns an IAM client for a Server's URL with static test keys.
func Client(url string) *iam.Client {
	return iam.New(iam.Options{BaseEndpoint: aws.String(url), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
}

// Env gives the AWS SDK's standard credential chain static test keys and
// nothing else to find (no profile, no instance metadata), for a test of
// a client built from that chain (package awsclient's).
func Env(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
}
