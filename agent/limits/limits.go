// Package limits holds the default bounds the network scanners put on
// what a server may cost the agent: the one definition that both the
// scanners (their Options' defaults) and the agent's configuration (the
// defaults of the scans.*.max_… keys) refer to. It imports nothing, so the
// configuration package, which the collector uses too to check policies,
// does not pull the scanners and their clients into the collector.
package limits

import "time"

// LDAP bounds (ldapscan.Options).
const (
	// LDAPMaxEntries bounds the entries a directory scan reads, and the
	// members read in ranges of one group: a very large directory, far
	// beyond what memory would hold otherwise.
	LDAPMaxEntries = 1000000
	// LDAPMaxMessageBytes bounds one LDAP message from the server (an
	// entry with every value the server sends of it): a group of several
	// hundred thousand member DNs fits. The client library holds a
	// message several times over while decoding it, so the bound is what
	// keeps one entry from costing gigabytes.
	LDAPMaxMessageBytes = 32 << 20
	// LDAPMaxKeptBytes bounds what a scan keeps of the directory: the
	// names, DNs and member lists of its entries (a directory of 100,000
	// users and 10,000 nested groups keeps well under 100 MiB).
	LDAPMaxKeptBytes = 1 << 30
)

// IAMMaxDetails bounds the users, groups, roles and managed policies an
// IAM scan reads: several times what an AWS account can hold (its quotas:
// 5,000 users, 300 groups, 5,000 roles, 5,000 customer managed policies,
// beside the AWS managed policies attached).
const IAMMaxDetails = 100000

// Cloud API bounds (awsclient, gcsscan, azblobscan): each call's time,
// retries included, and the size of each answer's body (object reads
// excepted: the sampling budget bounds those).
const (
	CallTimeout           = 2 * time.Minute
	AWSMaxResponseBytes   = 64 << 20 // a listing page, a policy, a credential report are far smaller
	GCSMaxResponseBytes   = 16 << 20 // a bucket, a policy, a page of 1,000 objects
	AzureMaxResponseBytes = 32 << 20 // a page of 5,000 blobs with metadata is a few MiB
)

// SMBCallTimeout bounds one SMB operation (a listing, a security
// descriptor, a share's information) but a file's read, which the content
// limits bound.
const SMBCallTimeout = 30 * time.Second

// Call bounds one API call of a cloud scanner's client (gcsscan,
// azblobscan; awsclient takes the same two as options). A zero field is
// the default: CallTimeout, and the provider's MaxResponseBytes given to
// WithDefaults.
type Call struct {
	Timeout          time.Duration // the whole call, retries included
	MaxResponseBytes int64         // one answer's body, object reads excepted
}

// WithDefaults fills c's zero fields: CallTimeout and maxResponse.
func (c Call) WithDefaults(maxResponse int64) Call {
	if c.Timeout <= 0 {
		c.Timeout = CallTimeout
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = maxResponse
	}
	return c
}
