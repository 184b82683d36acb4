package risk

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Principal risk (README, "Risk model"): what an account could do if taken
// over, and how likely that is. Privilege (weighted by what it grants),
// each hygiene flag the scanners raise, privilege left on a stale or
// disabled account, and how many assets holding personal data it can
// read. As for assets, the score is the sum of the factors, capped at 100.

// Privilege points by what the privilege grants.
const (
	fullAdminPoints  = 30 // root, domain admin, *:* on the account
	escalationPoints = 25 // a path to full admin
	privilegedPoints = 20 // other privileged groups and roles

	disabledPrivilegedPoints = 15
	stalePrivilegedPoints    = 20
	stalePoints              = 5

	readableMaxPoints = 30
	// unknownFlagPoints is what a hygiene flag this model does not know
	// is worth: a new scanner flag still counts, and says so.
	unknownFlagPoints = 5
)

// hygienePoints weighs the scanners' hygiene flags (ldapscan, iamscan,
// hostscan), digits replaced by N. disabled_but_privileged and
// stale_and_privileged are not counted as flags: the disabled and stale
// factors weigh the same facts, once, with the collector's stale_after
// rather than each scanner's own threshold.
var hygienePoints = map[string]int{
	"uid N account other than root":  25, // a second root
	"password_not_required":          15,
	"asrep_roastable":                15, // its hash can be cracked offline without a password
	"console_without_mfa":            15,
	"kerberoastable":                 10,
	"inactive_user_with_active_keys": 10,
	"password_never_expires":         5,
	"orphaned_admin_count":           5,
	"access_key_N_older_than_N_days": 5,
	"access_key_N_unused_N_days":     5,
}

// fullAdminMarks in a privilege path mean control of the whole system.
var fullAdminMarks = []string{"*:*", "AdministratorAccess", "Domain Admins", "Enterprise Admins", "Schema Admins",
	"Administrators", "Domain Controllers"}

// PrincipalScore is a principal's risk and why.
type PrincipalScore struct {
	PrincipalID, Name, Type, Source, Host string
	Score                                 int
	Factors                               []Factor
}

// PrincipalStore is what principal scoring needs.
type PrincipalStore interface {
	PrincipalExposures(ctx context.Context, staleBefore time.Time) ([]store.PrincipalExposure, error)
}

// Staleness says when an account is stale: no login for After before Now.
type Staleness struct {
	Now   time.Time
	After time.Duration
}

// Before is the login cutoff.
func (s Staleness) Before() time.Time { return s.Now.Add(-s.After) }

// AssessPrincipal scores one principal; now dates the stale factor.
func AssessPrincipal(e store.PrincipalExposure, now time.Time) PrincipalScore {
	s := PrincipalScore{PrincipalID: e.ID, Name: e.Name, Type: e.Type, Source: e.Source, Host: e.Host}
	add := func(name string, p int) {
		if p > 0 {
			s.Factors = append(s.Factors, Factor{name, p})
			s.Score += p
		}
	}
	if e.Privileged {
		add(privilege(e))
		if e.Enabled != nil && !*e.Enabled {
			add("disabled but still privileged (enabling it again restores the privilege)", disabledPrivilegedPoints)
		}
		if e.Stale {
			add("stale and privileged: "+idle(e, now), stalePrivilegedPoints)
		}
	} else if e.Stale {
		add("stale: "+idle(e, now), stalePoints)
	}
	for _, f := range e.Hygiene {
		if f == "disabled_but_privileged" || f == "stale_and_privileged" {
			continue
		}
		p, ok := hygienePoints[digitsToN(f)]
		if !ok {
			p = unknownFlagPoints
		}
		add("hygiene: "+f, p)
	}
	if e.ReadableAssets > 0 {
		add(fmt.Sprintf("can read %d assets holding personal data", e.ReadableAssets), readablePoints(e.ReadableAssets))
	}
	if s.Score > 100 {
		s.Score = 100
	}
	return s
}

// privilege names the weightiest path to privilege and its points.
func privilege(e store.PrincipalExposure) (string, int) {
	best, points := "", privilegedPoints
	for _, v := range e.PrivilegedVia {
		p := privilegedPoints
		switch {
		case e.Source == wire.SourceHost:
			p = fullAdminPoints // the host scanner flags root-equivalent paths only
		case containsAny(v, fullAdminMarks):
			p = fullAdminPoints
		case strings.HasPrefix(v, "privilege escalation"):
			p = escalationPoints
		}
		if best == "" || p > points {
			best, points = v, p
		}
	}
	label := map[int]string{fullAdminPoints: "full administrator", escalationPoints: "can escalate to administrator",
		privilegedPoints: "privileged"}[points]
	switch n := len(e.PrivilegedVia); {
	case n == 0:
		return label, points
	case n > 1:
		return fmt.Sprintf("%s: %s (and %d more paths)", label, best, n-1), points
	}
	return label + ": " + best, points
}

// idle says for how long an account has not logged in.
func idle(e store.PrincipalExposure, now time.Time) string {
	days := func(t time.Time) int { return int(now.Sub(t).Hours() / 24) }
	switch {
	case e.LastLogin != nil:
		return fmt.Sprintf("no login for %d days", days(*e.LastLogin))
	case e.Created != nil:
		return fmt.Sprintf("never logged in, created %d days ago", days(*e.Created))
	}
	return "no recent login"
}

// readablePoints gives 5 points for the first asset and 5 more each time
// the count doubles: 1 → 5, 3 → 10, 7 → 15, … 32 and more → 30.
func readablePoints(n uint64) int {
	return int(math.Min(readableMaxPoints, 5*math.Ceil(math.Log2(float64(n)+1))))
}

func containsAny(s string, marks []string) bool {
	for _, m := range marks {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

func digitsToN(s string) string {
	var b strings.Builder
	prevDigit := false
	for _, r := range s {
		d := r >= '0' && r <= '9'
		if d && !prevDigit {
			b.WriteByte('N')
		} else if !d {
			b.WriteRune(r)
		}
		prevDigit = d
	}
	return b.String()
}

// TopPrincipals returns the n highest-scored principals (all for n <= 0),
// highest first; principals scoring 0 are left out.
func TopPrincipals(ctx context.Context, st PrincipalStore, stale Staleness, n int) ([]PrincipalScore, error) {
	ex, err := st.PrincipalExposures(ctx, stale.Before())
	if err != nil {
		return nil, err
	}
	return rankPrincipals(ex, stale.Now, n), nil
}

// rankPrincipals scores ex as of now and returns the n highest (all for n
// <= 0) that score at all, highest first, then by name and id.
func rankPrincipals(ex []store.PrincipalExposure, now time.Time, n int) []PrincipalScore {
	out := make([]PrincipalScore, 0, len(ex))
	for _, e := range ex {
		if s := AssessPrincipal(e, now); s.Score > 0 {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].PrincipalID < out[j].PrincipalID
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}
