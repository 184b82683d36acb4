// Package iamscan reads an AWS account's IAM (GetAccountAuthorizationDetails,
// the credential report) and answers which identities are administrators or
// can make themselves one: AdministratorAccess, an allowed "*:*", or a
// privilege-escalation permission, with Deny statements and NotAction
// honoured; plus hygiene flags from the credential report.
package iamscan

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/sightline-dev/sightline/agent/awspolicy"
	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// API is the part of the IAM client the scan uses.
type API interface {
	GetAccountAuthorizationDetails(context.Context, *iam.GetAccountAuthorizationDetailsInput, ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
	GenerateCredentialReport(context.Context, *iam.GenerateCredentialReportInput, ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error)
	GetCredentialReport(context.Context, *iam.GetCredentialReportInput, ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error)
	GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
}

// Options configures an IAM scan.
type Options struct {
	Client  API
	Account string
	AgentID string
	Now     func() time.Time
	Logger  *slog.Logger
	// KeyAgeDays flags access keys older than this or unused this long
	// (default 90).
	KeyAgeDays int
	// Tokenizer, when set and Client is also a KeysAPI, tokenizes each
	// user's active access keys (keys.go).
	Tokenizer *pii.Tokenizer
	// MaxDetails bounds the users, groups, roles and managed policies
	// read (default DefaultMaxDetails).
	MaxDetails int
}

// DefaultMaxDetails is several times what an AWS account can hold (its
// quotas: 5,000 users, 300 groups, 5,000 roles, 5,000 customer managed
// policies, beside the AWS managed policies attached; scans.iam.max_details).
const DefaultMaxDetails = limits.IAMMaxDetails

// escalation are permissions that let an identity raise its own rights.
var escalation = []string{
	"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachUserPolicy", "iam:AttachGroupPolicy",
	"iam:AttachRolePolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:CreateAccessKey",
	"iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:AddUserToGroup", "iam:UpdateAssumeRolePolicy",
}

// statement is one policy statement, its source named for reasons.
type statement struct {
	source    string // "policy NAME statement N"
	allow     bool
	actions   []string
	notAction bool
	resources []string
}

func decodeDoc(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

func parseDoc(name, doc string) []statement {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(decodeDoc(doc)), &p) != nil {
		return nil
	}
	var raw []map[string]any
	if json.Unmarshal(p.Statement, &raw) != nil {
		var one map[string]any
		if json.Unmarshal(p.Statement, &one) != nil {
			return nil
		}
		raw = []map[string]any{one}
	}
	var out []statement
	for i, r := range raw {
		s := statement{source: fmt.Sprintf("policy %s statement %d", name, i+1), allow: r["Effect"] == "Allow"}
		if a, ok := r["NotAction"]; ok {
			s.actions, s.notAction = awspolicy.Strings(a), true
		} else {
			s.actions = awspolicy.Strings(r["Action"])
		}
		s.resources = awspolicy.Strings(r["Resource"])
		out = append(out, s)
	}
	return out
}

// matches reports whether an IAM action pattern ("iam:*", "*") covers act.
func matches(pattern, act string) bool {
	ok, _ := path.Match(strings.ToLower(pattern), strings.ToLower(act))
	return ok
}

func (s statement) covers(act string) bool {
	if act == "*:*" && s.notAction {
		return false // everything but something is not everything
	}
	hit := false
	for _, a := range s.actions {
		if matches(a, act) {
			hit = true
		}
	}
	return hit != s.notAction
}

// allowed reports whether statements allow act (on any resource) and no
// Deny covers it, and which statement allows it.
func allowed(sts []statement, act string) (string, bool) {
	from := ""
	for _, s := range sts {
		if s.covers(act) {
			if !s.allow {
				return "", false
			}
			if from == "" {
				from = s.source
			}
		}
	}
	return from, from != ""
}

// Scan reads the account and emits principal and entitlement records.
func Scan(ctx context.Context, o Options, emit func(*wire.Record) error) (*wire.Record, error) {
	if o.Client == nil {
		return nil, errors.New("iamscan: Client is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = cmp.Or(o.Logger, slog.Default())
	o.KeyAgeDays = defaults.Positive(o.KeyAgeDays, 90)
	o.MaxDetails = defaults.Positive(o.MaxDetails, DefaultMaxDetails)
	run := scanrun.Begin(scanrun.Options{Scanner: "iam", Source: wire.SourceIAM, Host: o.Account, AgentID: o.AgentID, Now: o.Now})
	env, problem, stats := run.Record, run.Problem, run.Stats
	finish := func(status string) (*wire.Record, error) { return run.Finish(status, emit) }

	var users []types.UserDetail
	var groups []types.GroupDetail
	var roles []types.RoleDetail
	managed := map[string]types.ManagedPolicyDetail{}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(o.Client, &iam.GetAccountAuthorizationDetailsInput{})
	// An endpoint that repeats a marker, answers empty pages or ever more
	// identities without end stops the listing: the scan goes on, partial,
	// with what it read, as after a page that fails.
	var paging objscan.Paging
	for read := 0; p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			problem("authorization details: " + describe(err))
			if read == 0 {
				return finish(wire.StatusFailed)
			}
			break
		}
		users = append(users, page.UserDetailList...)
		groups = append(groups, page.GroupDetailList...)
		roles = append(roles, page.RoleDetailList...)
		for _, m := range page.Policies {
			managed[aws.ToString(m.Arn)] = m
		}
		n := len(page.UserDetailList) + len(page.GroupDetailList) + len(page.RoleDetailList) + len(page.Policies)
		if read += n; read > o.MaxDetails {
			problem(fmt.Sprintf("authorization details: more than %d users, groups, roles and policies: the rest were not read (an AWS account holds far fewer)", o.MaxDetails))
			break
		}
		next := ""
		if page.IsTruncated {
			next = aws.ToString(page.Marker)
		}
		if err := paging.Next(next, n); err != nil {
			problem("authorization details: " + err.Error())
			break
		}
	}
	managedDoc := func(arn string) (string, []statement) {
		m, ok := managed[arn]
		name := arn[strings.LastIndexByte(arn, '/')+1:]
		if !ok {
			return name, nil
		}
		for _, v := range m.PolicyVersionList {
			if v.IsDefaultVersion {
				return name, parseDoc(name, aws.ToString(v.Document))
			}
		}
		return name, nil
	}
	type ident struct {
		arn, name, kind string
		sts             []statement
		attached        []string // policy names, for entitlements
		admin           bool
		via             []string
		groups          []string
		attrs           map[string]string
		trusted         []string // principals the role's trust policy lets assume it
	}
	groupSts := map[string][]statement{}
	groupAdmin := map[string]string{}
	// identity is a group's, user's or role's ident with the statements of
	// its attached and inline policies.
	identity := func(arn, name *string, kind string, att []types.AttachedPolicy, inlineList []types.PolicyDetail) *ident {
		id := &ident{arn: aws.ToString(arn), name: aws.ToString(name), kind: kind}
		inline := map[string]string{}
		for _, pl := range inlineList {
			inline[aws.ToString(pl.PolicyName)] = aws.ToString(pl.PolicyDocument)
		}
		for _, a := range att {
			arn := aws.ToString(a.PolicyArn)
			name, sts := managedDoc(arn)
			if strings.HasSuffix(arn, ":policy/AdministratorAccess") {
				id.admin = true
				id.via = append(id.via, "managed policy AdministratorAccess")
			}
			id.sts = append(id.sts, sts...)
			id.attached = append(id.attached, name)
		}
		names := slices.Sorted(maps.Keys(inline))
		for _, n := range names {
			id.sts = append(id.sts, parseDoc(n, inline[n])...)
			id.attached = append(id.attached, n+" (inline)")
		}
		return id
	}
	var ids []*ident
	for _, g := range groups {
		id := identity(g.Arn, g.GroupName, "group", g.AttachedManagedPolicies, g.GroupPolicyList)
		groupSts[id.name] = id.sts
		if id.admin {
			groupAdmin[id.name] = "managed policy AdministratorAccess"
		}
		ids = append(ids, id)
	}
	for _, u := range users {
		id := identity(u.Arn, u.UserName, "user", u.AttachedManagedPolicies, u.UserPolicyList)
		id.groups = u.GroupList
		for _, g := range u.GroupList {
			id.sts = append(id.sts, groupSts[g]...)
			if why, ok := groupAdmin[g]; ok {
				id.admin = true
				id.via = append(id.via, "group "+g+": "+why)
			}
		}
		ids = append(ids, id)
	}
	for _, r := range roles {
		id := identity(r.Arn, r.RoleName, "role", r.AttachedManagedPolicies, r.RolePolicyList)
		id.attrs = map[string]string{"trust": trustSummary(aws.ToString(r.AssumeRolePolicyDocument))}
		id.trusted = parseTrust(decodeDoc(aws.ToString(r.AssumeRolePolicyDocument)))
		ids = append(ids, id)
	}

	if sum, err := o.Client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err == nil {
		for k, v := range sum.SummaryMap {
			switch k {
			case "AccountMFAEnabled", "AccountAccessKeysPresent", "MFADevicesInUse", "Users", "Roles", "Groups", "Policies":
				stats["summary_"+strings.ToLower(k)] = int64(v)
			}
		}
		if sum.SummaryMap["AccountMFAEnabled"] == 0 {
			problem("the root account has no MFA")
		}
	} else {
		problem("account summary: " + describe(err))
	}
	report, rerr := credentialReport(ctx, o.Client)
	if rerr != nil {
		problem("credential report: " + describe(rerr))
	}
	now := o.Now()
	keysAPI, listKeys := o.Client.(KeysAPI)
	listKeys = listKeys && o.Tokenizer != nil
	long := 0
	for _, id := range ids {
		if len(id.name) > wire.MaxStringLen || len(id.arn) > wire.MaxStringLen {
			long++ // its record would be refused, with the rest of its batch
			continue
		}
		if src, ok := allowed(id.sts, "*:*"); ok && !id.admin {
			id.admin = true
			id.via = append(id.via, src+" allows *:*")
		} else if ok {
			id.via = append(id.via, src+" allows *:*")
		}
		var esc []string
		for _, act := range escalation {
			if src, ok := allowed(id.sts, act); ok {
				esc = append(esc, act+" ("+src+")")
			}
		}
		passRole, okPass := allowed(id.sts, "iam:PassRole")
		for _, compute := range []string{"ec2:RunInstances", "lambda:CreateFunction", "ecs:RunTask", "glue:CreateDevEndpoint", "cloudformation:CreateStack"} {
			if _, ok := allowed(id.sts, compute); ok && okPass {
				esc = append(esc, "iam:PassRole with "+compute+" ("+passRole+")")
				break
			}
		}
		if !id.admin && len(esc) > 0 {
			id.via = append(id.via, "privilege escalation: "+strings.Join(esc, ", "))
		}
		rec := env(wire.KindPrincipal)
		rec.PrincipalID, rec.Name, rec.PrincipalType = wire.IAMPrincipalID(o.Account, id.arn), id.name, id.kind
		rec.Privileged, rec.PrivilegedVia = len(id.via) > 0, id.via
		rec.Attributes = map[string]string{"arn": id.arn}
		for k, v := range id.attrs {
			rec.Attributes[k] = v
		}
		if id.kind == "user" {
			if row, ok := report[id.name]; ok {
				applyReport(&rec, row, now, o.KeyAgeDays)
			}
			if listKeys {
				if err := userKeys(ctx, keysAPI, o.Tokenizer, id.name, &rec); err != nil {
					if ctx.Err() != nil {
						return nil, ctx.Err()
					}
					problem("access keys: " + describe(err) + "; keys found in files are not joined to their users")
					listKeys = false // one message, not one per user
				}
			}
		}
		if err := emit(&rec); err != nil {
			return nil, err
		}
		stats[id.kind+"s"]++
		if rec.Privileged {
			stats["privileged"]++
		}
		for _, pol := range id.attached {
			e := env(wire.KindEntitlement)
			e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = rec.PrincipalID, wire.StableID(wire.SourceIAM, o.Account, "policy", pol), "policy", "attached"
			e.Via = []string{pol}
			if err := emit(&e); err != nil {
				return nil, err
			}
		}
		for _, g := range id.groups {
			e := env(wire.KindEntitlement)
			e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = rec.PrincipalID, wire.StableID(wire.SourceIAM, "arn:aws:iam::"+o.Account+":group/"+g), "group", "member"
			e.Via = []string{g}
			if err := emit(&e); err != nil {
				return nil, err
			}
		}
		for _, tp := range id.trusted {
			e := env(wire.KindEntitlement)
			e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = wire.StableID(wire.SourceIAM, tp), rec.PrincipalID, "role", "assume"
			e.Via = []string{"trust policy of " + id.name + ": " + tp}
			e.Privileged = rec.Privileged
			if err := emit(&e); err != nil {
				return nil, err
			}
		}
		for _, bk := range buckets(id.sts) {
			e := env(wire.KindEntitlement)
			e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = rec.PrincipalID, wire.StableID(wire.SourceS3, o.Account, "s3://"+bk.name), "bucket", bk.perm
			e.Via = []string{bk.source}
			if err := emit(&e); err != nil {
				return nil, err
			}
		}
	}
	if long > 0 {
		problem(fmt.Sprintf("%d identities with a name or ARN longer than a record may hold: left out", long))
	}
	if root, ok := report["<root_account>"]; ok && (root["access_key_1_active"] == "true" || root["access_key_2_active"] == "true") {
		problem("the root account has active access keys")
	}
	return finish(run.Status())
}

type bucketGrant struct{ name, perm, source string }

// buckets lists the buckets statements let an identity read or write.
func buckets(sts []statement) []bucketGrant {
	seen := map[string]bool{}
	var out []bucketGrant
	for _, s := range sts {
		if !s.allow {
			continue
		}
		perm := ""
		switch {
		case s.covers("s3:PutObject"):
			perm = "write"
		case s.covers("s3:GetObject"):
			perm = "read"
		default:
			continue
		}
		for _, r := range s.resources {
			if !strings.HasPrefix(r, "arn:aws:s3:::") || strings.Contains(r, "*") && !strings.HasSuffix(r, "/*") {
				continue
			}
			name := strings.TrimPrefix(r, "arn:aws:s3:::")
			if i := strings.IndexByte(name, '/'); i >= 0 {
				name = name[:i]
			}
			if name != "" && !seen[name+perm] {
				seen[name+perm] = true
				out = append(out, bucketGrant{name, perm, s.source})
			}
		}
	}
	return out
}

func trustSummary(doc string) string {
	var out []string
	for _, s := range parseTrust(decodeDoc(doc)) {
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func parseTrust(doc string) []string {
	var p struct {
		Statement []struct {
			Effect    string
			Principal any
		}
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return nil
	}
	var out []string
	for _, s := range p.Statement {
		if s.Effect != "Allow" {
			continue
		}
		if str, ok := s.Principal.(string); ok {
			out = append(out, str)
			continue
		}
		if m, ok := s.Principal.(map[string]any); ok {
			for _, k := range []string{"AWS", "Service", "Federated"} {
				out = append(out, awspolicy.Strings(m[k])...)
			}
		}
	}
	return out
}

func credentialReport(ctx context.Context, c API) (map[string]map[string]string, error) {
	for i := 0; i < 10; i++ {
		g, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return nil, err
		}
		if g.State == types.ReportStateTypeComplete {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(i+1) * 200 * time.Millisecond):
		}
	}
	out, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(strings.NewReader(string(out.Content))).ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("unreadable credential report")
	}
	report := map[string]map[string]string{}
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		report[m["user"]] = m
	}
	return report, nil
}

func applyReport(rec *wire.Record, row map[string]string, now time.Time, days int) {
	t := func(k string) *time.Time {
		v, err := time.Parse(time.RFC3339, row[k])
		if err != nil {
			return nil
		}
		return &v
	}
	var flags []string
	console := row["password_enabled"] == "true"
	mfa := row["mfa_active"] == "true"
	rec.MFA = &mfa
	rec.LastLogin = t("password_last_used")
	rec.PasswordLastSet = t("password_last_changed")
	if console && !mfa {
		flags = append(flags, "console_without_mfa")
	}
	limit := now.Add(-time.Duration(days) * 24 * time.Hour)
	activeKey := false
	for _, k := range []string{"access_key_1", "access_key_2"} {
		if row[k+"_active"] != "true" {
			continue
		}
		activeKey = true
		if r := t(k + "_last_rotated"); r != nil && r.Before(limit) {
			flags = append(flags, k+"_older_than_"+fmt.Sprint(days)+"_days")
		}
		if u := t(k + "_last_used_date"); u == nil || u.Before(limit) {
			flags = append(flags, k+"_unused_"+fmt.Sprint(days)+"_days")
		}
	}
	if activeKey && (rec.LastLogin == nil || rec.LastLogin.Before(limit)) && !console {
		flags = append(flags, "inactive_user_with_active_keys")
	}
	if len(flags) > 0 {
		rec.Attributes["hygiene"] = strings.Join(flags, ",")
	}
}

func describe(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "unreachable: " + strings.Join(strings.Fields(err.Error()), " ")
}
