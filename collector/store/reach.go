package store

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/sightline-dev/sightline/internal/wire"
)

// Who can reach what is decided here, once per read-index build
// (migration 0012): idx_holders says, for each principal, whose grants are
// its grants, and idx_grants holds every read or write grant with bucket
// grants expanded to the bucket's objects. Every answer about access is
// one join of the two:
//
//   - an asset's reader count (idx_assets.readers): readerCountsSQL;
//   - an asset's reader list: AssetReaders;
//   - a principal's reachable assets with personal data: ReachableAssets;
//   - a principal's readable count (principal risk): principalReachSQL.
//
// "Access" is a read or a write grant (a write on a bucket or share comes
// with reading it in practice). Readers are principals that are not
// groups; a group's members are listed instead. Reach counts only assets
// holding current personal data.

// maxMembershipDepth bounds the rounds that follow groups within groups;
// the directory scanners already report one membership per group of a
// nested chain, so a round beyond the first rarely finds anything.
const maxMembershipDepth = 8

// accessGrant is the permission condition of a grant that gives access.
const accessGrant = `permission IN ('read', 'write')`

// An entitlement speaks of its resource by id, and ids are stable hashes
// anyone can compute: an agent speaks only for its own host and for the
// shared sources it is the authority of (collector/identity), so what it
// says counts only on resources it reported itself. Without this, an
// agent made its own account a reader of another host's files, or a
// member of a directory group, in everyone's access map — and the
// authority of a made-up directory or account could do the same to any
// group or asset.
//
// grantOnOwnAsset is the condition on a grant (staged: the build's
// assets, stagedAssets): its resource is an asset its agent reported, or,
// for an IAM policy, an S3 bucket of the same account (an account's IAM
// and S3 may be scanned by two agents; the bucket's id names its account).
func grantOnOwnAsset(staged func(cols string) string) string {
	return `(agent_id, resource_id) IN ` + staged("agent_id, asset_id") + `
	OR (source = '` + wire.SourceIAM + `' AND (host, resource_id) IN
		(SELECT host, asset_id FROM ` + staged("host, asset_id, source") + ` WHERE source = '` + wire.SourceS3 + `'))`
}

// memberOfOwnGroup is the condition on a membership: its group is one its
// agent reported, or, from a shared source, one nobody reports (a group
// outside the directory scan's base, named by its members' memberOf).
// An SMB scan's principal is no group of its own: it names a well-known
// SID under the directory's id (wire.DeriveIDs), so whoever reported one
// would add members to the directory's Everyone
// (TestSMBWellKnownSIDIsNoOwnGroup). A host's everyone is no group
// anyone joins (every account of that host holds through it, as the
// everyone step says), and no principal record either, so it was "a
// group nobody reports": the authority of a made-up directory made its
// own account a member of web-1's everyone, and a reader of every file
// web-1 grants to everyone (TestCannotJoinAnotherHostsEveryone).
func memberOfOwnGroup(g string) string {
	return `(agent_id, resource_id) IN (SELECT agent_id, principal_id FROM {db}.current_principals WHERE source != '` + wire.SourceSMB + `')
	OR (source NOT IN ('` + wire.SourceFS + `', '` + wire.SourceHost + `') AND resource_id NOT IN (SELECT principal_id FROM {db}.current_principals)
		AND resource_id NOT IN (SELECT everyone_id FROM {db}.idx_hosts WHERE gen = ` + g + `))`
}

// heldByReporter is the condition on the principal of an entitlement of
// generation g, from any source: not another host's account, group or
// everyone. It counts when its agent reported that principal, or when no
// host reports it (a directory's or a cloud account's identity, an
// account deleted since, a uid without a name) and it is no other host's
// everyone. Without this an agent made another host's account (an
// administrator's), or every account of it through its everyone, a
// reader of its files or a member of its groups, adding to that
// account's reach and risk — as a host, or as the authority of a made-up
// directory (TestSharedSourceCannotGrantToAnotherHostsAccount,
// TestCannotGrantToAnotherHostsEveryone).
func heldByReporter(g string) string {
	return `(agent_id, principal_id) IN (SELECT agent_id, principal_id FROM {db}.current_principals)
	OR (principal_id NOT IN (SELECT principal_id FROM {db}.current_principals WHERE source IN ('` + wire.SourceFS + `', '` + wire.SourceHost + `'))
		AND (principal_id NOT IN (SELECT everyone_id FROM {db}.idx_hosts WHERE gen = ` + g + `)
			OR (host, principal_id) IN (SELECT host, everyone_id FROM {db}.idx_hosts WHERE gen = ` + g + `)))`
}

// principalsOnce is the current principals, one row per id (two agents
// may report the same directory account).
const principalsOnce = `SELECT principal_id, any(principal_type) AS principal_type, any(name) AS name,
	max(privileged) AS privileged, any(source) AS source, any(host) AS host
FROM {db}.current_principals GROUP BY principal_id`

// buildReach fills idx_hosts, idx_entitlements, idx_holders and idx_grants
// of generation g (b) from the current views and the build's staged
// assets (stagedWhere). For an incremental build (base not "", not
// compact), the entitlements and grants that cannot differ from base's
// are base's (entitlementSteps, grantSteps), and so are the holders of
// the principals whose holders cannot differ; incremental then says so
// (principalReachSteps carries base's reach too).
func (s *Store) buildReach(ctx context.Context, g, base string, b *IndexBuild) (incremental bool, err error) {
	// The build's assets: the staged ones, and base's others (stagedWhere;
	// also when the access map is computed whole below).
	assetBase := base
	stage := func(cols, cond string) string { return stagedWhere(g, assetBase, cols, cond) }
	if err := s.buildHosts(ctx, g, b.Gen, b.Jurisdiction, stagedAssets(g, assetBase)); err != nil {
		return false, err
	}
	if b.compact {
		// Base reads from too many generations: every agent's
		// entitlements and every grant are computed again.
		base = ""
	}
	// The grants and memberships, folded once (idx_entitlements, per
	// agent); ents is those cond keeps, picked by the primary key
	// (permission first).
	ents := func(cond string) string {
		return `(SELECT principal_id, resource_id, permission, via, source, host, agent_id FROM {db}.idx_entitlements
			WHERE ` + entitlementsOf(g) + ` AND ` + cond + `)`
	}
	if err := s.runBuildSteps(ctx, entitlementSteps(g, base, b.since)); err != nil {
		return false, err
	}
	var n []struct {
		N uint64 `ch:"n"`
	}
	count := func(q string) (bool, error) {
		if err := s.conn.Select(ctx, &n, s.sql(q)); err != nil {
			return false, s.wrap("building the index (group memberships)", err)
		}
		return len(n) == 1 && n[0].N > 0, nil
	}
	// The memberships that count are decided once (idx_memberships);
	// with no membership at all, deciding which count is skipped.
	some, err := count(`SELECT count() AS n FROM ` + ents("permission = 'member'"))
	if err != nil {
		return false, err
	}
	if some {
		if err := s.buildExec(ctx, "memberships", `INSERT INTO {db}.idx_memberships (gen, member, holder)
			SELECT DISTINCT `+g+`, principal_id, resource_id FROM `+ents("permission = 'member'")+`
			WHERE (`+memberOfOwnGroup(g)+`) AND (`+heldByReporter(g)+`)`); err != nil {
			return false, err
		}
		if some, err = count(`SELECT count() AS n FROM {db}.idx_memberships WHERE gen = ` + g); err != nil {
			return false, err
		}
	}
	// An incremental build computes the holders again only for the
	// principals whose holders may differ from base's (kind 'holder' of
	// idx_access_changed), and copies base's of the others.
	only := ""
	var steps []buildStep
	if base != "" {
		only = accessChanged(g, "holder")
		steps = append(accessChangedSteps(g, base, b.since, stage),
			// A principal's holders through groups (its path to each,
			// the group's name) change with a membership on the way
			// (the first one that changed is a member's whose holders
			// did not, base's) or a principal's rows on the way.
			buildStep{"holders through what changed", `INSERT INTO {db}.idx_access_changed (gen, kind, id)
			SELECT DISTINCT ` + g + `, 'holder', principal_id FROM {db}.idx_holders WHERE gen = ` + base + ` AND holder IN (
				SELECT id FROM (
					SELECT id FROM {db}.idx_access_changed WHERE gen = ` + g + ` AND kind = 'principal'
					UNION ALL SELECT member AS id FROM {db}.idx_memberships WHERE gen = ` + g + `
						AND (member, holder) NOT IN (SELECT member, holder FROM {db}.idx_memberships WHERE gen = ` + base + `)
					UNION ALL SELECT member AS id FROM {db}.idx_memberships WHERE gen = ` + base + `
						AND (member, holder) NOT IN (SELECT member, holder FROM {db}.idx_memberships WHERE gen = ` + g + `)))`})
	}
	if err := s.runBuildSteps(ctx, append(steps, holderSteps(g, ents, only)...)); err != nil {
		return false, err
	}
	// Groups, one level per round: whoever holds through a group that is
	// a member of another holds through that one too. With no
	// membership, no round would add a holder. A principal's rows depend
	// on its own alone, so an incremental build follows only those it
	// computes again.
	of := ""
	if only != "" {
		of = ` AND principal_id IN ` + only
	}
	for depth := 1; depth <= maxMembershipDepth && some; depth++ {
		prev, d := strconv.Itoa(depth-1), strconv.Itoa(depth)
		q := `INSERT INTO {db}.idx_holders (gen, holder, principal_id, principal_type, name, privileged, path, depth)
			SELECT ` + g + `, holder, principal_id, principal_type, name, privileged, concat('group ', group_name), ` + d + ` FROM (
				SELECT holder, principal_id, principal_type, name, privileged FROM (
					SELECT holder AS member, principal_id, principal_type, name, privileged
					FROM {db}.idx_holders WHERE gen = ` + g + ` AND depth = ` + prev + ` AND path != 'world-readable'` + of + `
				) ALL INNER JOIN (
					SELECT member, holder FROM {db}.idx_memberships WHERE gen = ` + g + `
				) USING member
			) ANY LEFT JOIN (
				SELECT principal_id AS holder, any(name) AS group_name FROM {db}.current_principals GROUP BY principal_id
			) USING holder
			WHERE (holder, principal_id) NOT IN (SELECT holder, principal_id FROM {db}.idx_holders WHERE gen = ` + g + of + `)`
		if err := s.buildExec(ctx, "group memberships", q); err != nil {
			return false, err
		}
		if more, err := count(`SELECT count() AS n FROM {db}.idx_holders WHERE gen = ` + g + ` AND depth = ` + d); err != nil || !more {
			if err != nil {
				return false, err
			}
			break
		}
	}
	if base != "" {
		if err := s.buildExec(ctx, "holders carried over", `INSERT INTO {db}.idx_holders (gen, holder, principal_id, principal_type, name, privileged, path, depth)
			SELECT `+g+`, holder, principal_id, principal_type, name, privileged, path, depth FROM {db}.idx_holders
			WHERE gen = `+base+` AND principal_id NOT IN `+only); err != nil {
			return false, err
		}
	}
	return base != "", s.runBuildSteps(ctx, grantSteps(g, base, ents, stage))
}

// holderSteps fill idx_holders of generation g with the principals as
// their own holders and the accounts of each host as holders through its
// everyone: of every principal (only "") or of those in only (a
// subquery), whose current rows are then read by their key.
func holderSteps(g string, ents func(cond string) string, only string) []buildStep {
	principals, current, grantees := `(`+principalsOnce+`)`, `{db}.current_principals`, ents(accessGrant)
	if only != "" {
		rows := `(` + currentRowsSQL("principals", principalColumns, ` PREWHERE principal_id IN `+only) + `)`
		principals = `(` + strings.Replace(principalsOnce, `{db}.current_principals`, rows, 1) + `)`
		current = rows
		grantees = ents(accessGrant + ` AND principal_id IN ` + only)
	}
	return []buildStep{
		// Each principal is its own holder; so is a grantee no scan
		// reports as a principal (a deleted account, an orphaned SID),
		// unless it is a host's everyone, which is a group of all accounts.
		{"principals as holders", `INSERT INTO {db}.idx_holders (gen, holder, principal_id, principal_type, name, privileged, path, depth)
			SELECT ` + g + `, principal_id, principal_id, principal_type, name, privileged, '', 0 FROM ` + principals + `
			UNION ALL
			SELECT ` + g + `, principal_id, principal_id, 'unknown', concat('unknown account (', substring(principal_id, 1, 8), ')'), 0, '', 0
			FROM (SELECT DISTINCT principal_id FROM ` + grantees + `)
			WHERE principal_id NOT IN (SELECT principal_id FROM ` + current + `)
				AND principal_id NOT IN (SELECT everyone_id FROM {db}.idx_hosts WHERE gen = ` + g + `)`},
		// Every account (not group) of a host holds what its everyone
		// holds.
		{"everyone", `INSERT INTO {db}.idx_holders (gen, holder, principal_id, principal_type, name, privileged, path, depth)
			SELECT ` + g + `, everyone_id, principal_id, principal_type, name, privileged, 'world-readable', 1
			FROM (SELECT principal_id, principal_type, name, privileged, host FROM ` + principals + `
				WHERE source = '` + wire.SourceHost + `' AND principal_type != 'group')
			ALL INNER JOIN (SELECT host, everyone_id FROM {db}.idx_hosts WHERE gen = ` + g + `) USING host`},
	}
}

// accessChanged is the ids of kind that build g listed in
// idx_access_changed, as a subquery.
func accessChanged(g, kind string) string {
	return `(SELECT id FROM {db}.idx_access_changed WHERE gen = ` + g + ` AND kind = '` + kind + `')`
}

// grantsAgain is the condition on an entitlement or a grant (principal:
// its principal's column) that build g computes it again (grantSteps):
// its agent's entitlements were folded again, or its resource or
// principal changed.
func grantsAgain(g, principal string) string {
	return `(agent_id IN (SELECT agent_id FROM {db}.idx_entitlement_segs WHERE gen = ` + g + ` AND seg = ` + g + `)
		OR resource_id IN ` + accessChanged(g, "resource") + ` OR ` + principal + ` IN ` + accessChanged(g, "principal") + `)`
}

// accessChangedSteps list in idx_access_changed what a build g from base
// computes the grants again for, besides the entitlements it folded again
// (grantSteps): the principals whose current rows may differ from base's
// (every principal an (agent, source) that stored a scan or a principal
// after version since ever reported; the everyone of a host that came or
// went), the resources whose asset rows may (its changed assets; a
// bucket holding a changed object, now or in base), and the principals
// whose holders may (kind 'holder': those principals, and every grantee
// of an agent whose entitlements it folded again, now or in base: one
// may have become, or stopped being, an unknown account).
func accessChangedSteps(g, base string, since uint64, stage func(cols, cond string) string) []buildStep {
	c := strconv.FormatUint(since, 10)
	return []buildStep{
		{"principals changed", `INSERT INTO {db}.idx_access_changed (gen, kind, id)
			SELECT DISTINCT ` + g + `, 'principal', id FROM (
				SELECT principal_id AS id FROM {db}.principals WHERE (agent_id, source) IN (
					SELECT agent_id, source FROM (
						SELECT agent_id, source FROM {db}.scans WHERE version > ` + c + `
						UNION ALL SELECT agent_id, source FROM {db}.principals WHERE version > ` + c + `))
				UNION ALL SELECT everyone_id AS id FROM {db}.idx_hosts WHERE gen = ` + g + `
					AND host NOT IN (SELECT host FROM {db}.idx_hosts WHERE gen = ` + base + `)
				UNION ALL SELECT everyone_id AS id FROM {db}.idx_hosts WHERE gen = ` + base + `
					AND host NOT IN (SELECT host FROM {db}.idx_hosts WHERE gen = ` + g + `)
			)`},
		{"resources changed", `INSERT INTO {db}.idx_access_changed (gen, kind, id)
			SELECT DISTINCT ` + g + `, 'resource', id FROM (
				SELECT asset_id AS id FROM {db}.idx_changed WHERE gen = ` + g + `
				UNION ALL SELECT asset_id AS id FROM ` + stage("asset_id, host, bucket", "asset_type = 'bucket'") + `
				WHERE (host, bucket) IN (
					SELECT host, bucket FROM (
						SELECT host, bucket FROM {db}.idx_assets_stage WHERE gen = ` + g + ` AND bucket != ''
						UNION ALL SELECT host, bucket FROM {db}.idx_assets WHERE ` + baseRowsOfChanged(g, base) + ` AND bucket != ''))
			)`},
		{"holders changed", `INSERT INTO {db}.idx_access_changed (gen, kind, id)
			SELECT DISTINCT ` + g + `, 'holder', id FROM (
				SELECT id FROM {db}.idx_access_changed WHERE gen = ` + g + ` AND kind = 'principal'
				UNION ALL SELECT principal_id AS id FROM {db}.idx_entitlements WHERE gen = ` + g + `
				UNION ALL SELECT principal_id AS id FROM {db}.idx_entitlements WHERE ` + entitlementsOf(base) + `
					AND agent_id IN (SELECT agent_id FROM {db}.idx_entitlement_segs WHERE gen = ` + g + ` AND seg = ` + g + `)
			)`},
	}
}

// entitlementSteps fold the current grants and memberships of generation
// g into idx_entitlements, per agent (idx_entitlement_segs): every
// agent's for a full build (base ""); for one from base, only those of
// the agents that stored a scan or an entitlement after version since
// (their rows are the only ones whose current state can differ: a row is
// current by its (agent, source)'s newest scan), read from the table by
// owner_agent, which is in its sorting key (every version of a row is
// kept or left together before FINAL merges them), and base's segment for
// every other agent.
func entitlementSteps(g, base string, since uint64) []buildStep {
	fold := func(where string) string {
		return `INSERT INTO {db}.idx_entitlements (gen, principal_id, resource_id, permission, via, source, host, agent_id)
			SELECT ` + g + `, principal_id, resource_id, permission, via, source, host, agent_id
			FROM (` + currentRowsSQL("entitlements", entitlementColumns, where) + `)
			WHERE ` + accessGrant + ` OR permission = 'member'`
	}
	if base == "" {
		return []buildStep{
			{"current entitlements", fold("")},
			{"entitlement segments", `INSERT INTO {db}.idx_entitlement_segs (gen, agent_id, seg)
				SELECT DISTINCT ` + g + `, agent_id, ` + g + ` FROM {db}.idx_entitlements WHERE gen = ` + g},
		}
	}
	c := strconv.FormatUint(since, 10)
	return []buildStep{
		{"entitlement agents recomputed", `INSERT INTO {db}.idx_entitlement_segs (gen, agent_id, seg)
			SELECT DISTINCT ` + g + `, agent_id, ` + g + ` FROM (
				SELECT agent_id FROM {db}.scans WHERE version > ` + c + `
				UNION ALL SELECT owner_agent AS agent_id FROM {db}.entitlements WHERE version > ` + c + `
			)`},
		{"current entitlements of those agents", fold(` PREWHERE owner_agent IN (SELECT agent_id FROM {db}.idx_entitlement_segs WHERE gen = ` + g + `)`)},
		{"entitlement segments carried over", `INSERT INTO {db}.idx_entitlement_segs (gen, agent_id, seg)
			SELECT ` + g + `, agent_id, seg FROM {db}.idx_entitlement_segs
			WHERE gen = ` + base + ` AND agent_id NOT IN (SELECT agent_id FROM {db}.idx_entitlement_segs WHERE gen = ` + g + `)`},
	}
}

// grantSteps fill idx_grants of generation g: every grant, a bucket's for
// each of its objects too: the objects its own account's (or project's)
// scan reported in it. Bucket names are global and a location is what a
// record says, so matched by name alone, the authority of a made-up
// account reported a bucket at another account's bucket's location,
// granted itself read on it, and read every object of the real one
// (TestBucketGrantCoversOnlyItsOwnObjects). The host of an object store's
// records is its account, which has one authority.
//
// A grant is decided by its entitlement (agent_id, resource_id,
// principal_id), the asset rows of its resource and of the objects in it
// (grantOnOwnAsset, the bucket's objects), the principal's current rows
// and the hosts' everyone (heldByReporter). So a build from base (not "")
// computes again only the grants of the entitlements of the agents it
// folded again, of the resources whose rows may differ (its changed
// assets, the buckets holding a changed object) and of the principals
// whose rows may differ (idx_access_changed), and copies base's others.
func grantSteps(g, base string, ents func(cond string) string, staged func(cols, cond string) string) []buildStep {
	grants := func(cond string, own func(cols string) string) string {
		return `INSERT INTO {db}.idx_grants (gen, asset_id, holder, permission, via, resource_id, agent_id)
		SELECT ` + g + `, arrayJoin(arrayConcat([resource_id], objects)) AS asset_id, principal_id, permission, via, resource_id, agent_id FROM (
			SELECT principal_id, resource_id, permission, via, agent_id FROM ` + ents(accessGrant+cond) + `
			WHERE (` + grantOnOwnAsset(own) + `) AND (` + heldByReporter(g) + `)
		) ANY LEFT JOIN (
			SELECT resource_id, groupArray(object_id) AS objects FROM (
				SELECT asset_id AS object_id, host, bucket FROM ` + staged("asset_id, host, bucket", "asset_type = 'object'") + `
			) ALL INNER JOIN (
				SELECT DISTINCT asset_id AS resource_id, host, bucket FROM ` + staged("asset_id, host, bucket", "asset_type = 'bucket'") + `
			) USING (host, bucket)
			GROUP BY resource_id
		) USING resource_id`
	}
	if base == "" {
		return []buildStep{{"grants", grants("", func(cols string) string { return staged(cols, "") })}}
	}
	cond := ` AND ` + grantsAgain(g, "principal_id")
	// Only the assets those grants name (listed once: the list is read
	// in every lookup) are looked up among the build's.
	own := func(cols string) string { return staged(cols, `asset_id IN `+accessChanged(g, "granted")) }
	return []buildStep{
		{"resources granted again", `INSERT INTO {db}.idx_access_changed (gen, kind, id)
			SELECT DISTINCT ` + g + `, 'granted', resource_id FROM ` + ents(accessGrant+cond)},
		{"grants computed again", grants(cond, own)},
		{"grants carried over", `INSERT INTO {db}.idx_grants (gen, asset_id, holder, permission, via, resource_id, agent_id)
			SELECT ` + g + `, asset_id, holder, permission, via, resource_id, agent_id FROM {db}.idx_grants
			WHERE gen = ` + base + ` AND NOT ` + grantsAgain(g, "holder")},
	}
}

// buildHosts resolves each host of the build once: its jurisdiction and
// its everyone's id, both decided in Go (wire.LocalPrincipalID, the host
// rules) rather than copied into SQL.
func (s *Store) buildHosts(ctx context.Context, g string, gen uint64, place func(string) string, staged func(cols string) string) error {
	var hosts []struct {
		Host string `ch:"host"`
	}
	q := `SELECT DISTINCT host FROM (
			SELECT host FROM {db}.current_principals WHERE source = '` + wire.SourceHost + `'
			UNION ALL
			SELECT host FROM ` + staged("host") + `)`
	if err := s.conn.Select(ctx, &hosts, s.sql(q)); err != nil {
		return s.wrap("building the index (hosts)", err)
	}
	return s.insert(ctx, "idx_hosts", "gen, host, jurisdiction, everyone_id", len(hosts), func(i int) []any {
		h, jur := hosts[i].Host, ""
		if place != nil {
			jur = place(h)
		}
		return []any{gen, h, jur, wire.LocalPrincipalID(h, "everyone", "")}
	})
}

// holdersOf joins grants (left, with holder) to the principals holding
// through them; the caller adds the conditions on idx_holders.
func holdersOf(gen, where string) string {
	return `ALL INNER JOIN (
		SELECT holder, principal_id, principal_type, name, privileged, path FROM {db}.idx_holders WHERE gen = ` + gen + where + `
	) USING holder`
}

// readerCountsSQL is, per asset of generation g, how many principals that
// are not groups can read it, and how many of them are not privileged.
func readerCountsSQL(g string) string {
	return `SELECT asset_id, uniqExact(principal_id) AS readers, uniqExactIf(principal_id, privileged = 0) AS readers_unprivileged
		FROM (SELECT asset_id, holder FROM {db}.idx_grants WHERE gen = ` + g + `)
		` + holdersOf(g, ` AND principal_type != 'group'`) + `
		GROUP BY asset_id`
}

// principalReachSQL is, per principal (groups too), how many assets with
// current personal data of generation g it can reach. Which granted
// assets hold personal data is looked up by the assets' ids (primary
// keys), not by a set of every asset with personal data (seconds at
// millions).
func principalReachSQL(g, only string) string {
	grants, holders := `SELECT asset_id, holder FROM {db}.idx_grants WHERE gen = `+g, ""
	if only != "" {
		holders = ` AND principal_id IN ` + only
		grants += ` AND holder IN (SELECT holder FROM {db}.idx_holders WHERE gen = ` + g + holders + `)`
	}
	return `SELECT principal_id, uniqExact(asset_id) AS readable
		FROM (SELECT asset_id, holder FROM (` + grants + `)
			WHERE asset_id IN (SELECT asset_id FROM {db}.idx_assets WHERE ` + assetsOf(g) + ` AND occurrences > 0
				AND loc_rank IN (SELECT loc_rank FROM {db}.idx_asset_ids WHERE ` + assetsOf(g) + `
					AND asset_id IN (SELECT asset_id FROM (` + grants + `)))))
		` + holdersOf(g, holders) + `
		GROUP BY principal_id`
}

// principalReachSteps fill idx_principal_reach of generation g: every
// principal's (base ""), or, for a build whose holders are base's but
// for some (buildReach), only that of the principals whose holders or
// whose holders' grants may differ from base's (a grant computed again,
// now or in base, or one on an asset it recomputed, whose personal data
// may have come or gone), and base's for the others.
func principalReachSteps(g, base string) []buildStep {
	if base == "" {
		return []buildStep{{"principal reach", `INSERT INTO {db}.idx_principal_reach (gen, principal_id, readable)
			SELECT ` + g + `, principal_id, readable FROM (` + principalReachSQL(g, "") + `)`}}
	}
	changedGrants := func(gen string) string {
		return `SELECT holder FROM {db}.idx_grants WHERE gen = ` + gen + ` AND (` + grantsAgain(g, "holder") + `
			OR asset_id IN (SELECT asset_id FROM {db}.idx_changed WHERE gen = ` + g + `))`
	}
	only := accessChanged(g, "reach")
	return []buildStep{
		{"principals whose reach changed", `INSERT INTO {db}.idx_access_changed (gen, kind, id)
			SELECT DISTINCT ` + g + `, 'reach', id FROM (
				SELECT id FROM {db}.idx_access_changed WHERE gen = ` + g + ` AND kind = 'holder'
				UNION ALL SELECT principal_id AS id FROM {db}.idx_holders WHERE gen = ` + g + `
					AND holder IN (SELECT holder FROM (` + changedGrants(g) + ` UNION ALL ` + changedGrants(base) + `))
				UNION ALL SELECT principal_id AS id FROM {db}.idx_holders WHERE gen = ` + base + `
					AND holder IN (SELECT holder FROM (` + changedGrants(g) + ` UNION ALL ` + changedGrants(base) + `))
			)`},
		{"principal reach computed again", `INSERT INTO {db}.idx_principal_reach (gen, principal_id, readable)
			SELECT ` + g + `, principal_id, readable FROM (` + principalReachSQL(g, only) + `)`},
		{"principal reach carried over", `INSERT INTO {db}.idx_principal_reach (gen, principal_id, readable)
			SELECT ` + g + `, principal_id, readable FROM {db}.idx_principal_reach
			WHERE gen = ` + base + ` AND principal_id NOT IN ` + only},
	}
}

// Reader is a principal that can read an asset, and how.
type Reader struct {
	PrincipalID string `json:"principal_id"`
	Name        string `json:"name"`
	Type        string `json:"principal_type"`
	Privileged  bool   `json:"privileged"`
	// Via is every path to the asset: the grant's own ("owner", "acl",
	// "bucket policy: …"), "group <name>", "world-readable".
	Via []string `json:"via"`
}

// AssetReaders lists who can read an asset, by name, from the read index:
// accounts, roles and unknown grantees (groups are listed through their
// members), each once with every path.
func (s *Store) AssetReaders(ctx context.Context, assetID string) ([]Reader, error) {
	var rows []struct {
		ID         string   `ch:"principal_id"`
		Name       string   `ch:"name"`
		Type       string   `ch:"principal_type"`
		Privileged uint8    `ch:"privileged"`
		Via        []string `ch:"via"`
	}
	q := `SELECT principal_id, any(name) AS name, any(principal_type) AS principal_type, max(privileged) AS privileged,
			groupUniqArrayArray(if(path = '', via, [path])) AS via
		FROM (SELECT holder, via FROM {db}.idx_grants WHERE gen = ` + curGen + ` AND asset_id = ?)
		` + holdersOf(curGen, ` AND principal_type != 'group'
			AND holder IN (SELECT holder FROM {db}.idx_grants WHERE gen = `+curGen+` AND asset_id = ?)`) + `
		GROUP BY principal_id
		ORDER BY name, principal_id LIMIT 100000`
	if err := s.conn.Select(ctx, &rows, s.sql(q), assetID, assetID); err != nil {
		return nil, s.wrap("reading an asset's readers", err)
	}
	out := make([]Reader, len(rows))
	for i, r := range rows {
		sort.Strings(r.Via)
		out[i] = Reader{PrincipalID: r.ID, Name: r.Name, Type: r.Type, Privileged: r.Privileged == 1, Via: r.Via}
	}
	return out, nil
}

// ReachableAssets returns up to limit assets holding current personal data
// that a principal can read or write, most occurrences first, from the
// read index.
func (s *Store) ReachableAssets(ctx context.Context, principalID string, limit int) ([]Asset, error) {
	// By primary keys all the way: the principal's holders
	// (idx_holdings), their assets (idx_grants_by_holder), the assets' rows.
	tail := ` WHERE ` + assetsOf(curGen) + ` AND occurrences > 0 AND ` + assetsByIDQuery(`SELECT asset_id FROM {db}.idx_grants_by_holder
			WHERE gen = `+curGen+` AND holder IN (SELECT holder FROM {db}.idx_holdings WHERE gen = `+curGen+` AND principal_id = ?)`) + `
		ORDER BY occurrences DESC, loc_rank LIMIT ?`
	rows, err := s.assetRows(ctx, tail, principalID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Asset, len(rows))
	for i, r := range rows {
		out[i] = r.Asset
	}
	return out, nil
}

// assetsByIDQuery is assetsByID with the ids from a subquery.
func assetsByIDQuery(ids string) string {
	return `loc_rank IN (SELECT loc_rank FROM {db}.idx_asset_ids WHERE ` + assetsOf(curGen) + ` AND asset_id IN (` + ids + `))`
}
