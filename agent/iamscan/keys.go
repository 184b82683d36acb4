package iamscan

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// What a found credential can reach: a user's active access keys go out
// as the keyed tokens the content scanner computes for an aws_access_key
// finding (HMAC over the key id, pii.Tokenizer), so the collector joins a
// key found in a file to the user it belongs to and what that user can
// do. The key id itself never leaves the host, and no key is used.

// maxKeysPerUser bounds the keys read per user (AWS allows two).
const maxKeysPerUser = 10

// KeysAPI is the part of the IAM client that lists a user's keys.
type KeysAPI interface {
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
}

// userKeys sets rec's Tokens to the tokens of user's active access keys
// and its access_keys and access_key_last_used attributes (the latest use
// of any of them, RFC 3339).
func userKeys(ctx context.Context, c KeysAPI, tok *pii.Tokenizer, user string, rec *wire.Record) error {
	out, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user), MaxItems: aws.Int32(maxKeysPerUser)})
	if err != nil {
		return err
	}
	var last time.Time
	active := 0
	for _, k := range out.AccessKeyMetadata {
		if k.Status != types.StatusTypeActive || active == maxKeysPerUser {
			continue
		}
		id, ok := pii.NormalizeAs(pii.TypeAWSAccessKey, aws.ToString(k.AccessKeyId))
		if !ok {
			continue // not a key id shape agents would find in a file
		}
		active++
		rec.Tokens = append(rec.Tokens, tok.Token([]byte(id)))
		lu, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
		if err != nil {
			return err
		}
		if lu.AccessKeyLastUsed != nil && lu.AccessKeyLastUsed.LastUsedDate != nil && lu.AccessKeyLastUsed.LastUsedDate.After(last) {
			last = *lu.AccessKeyLastUsed.LastUsedDate
		}
	}
	slices.Sort(rec.Tokens)
	if active > 0 {
		rec.Attributes["access_keys"] = strconv.Itoa(active)
		if !last.IsZero() {
			rec.Attributes["access_key_last_used"] = last.UTC().Format(time.RFC3339)
		} else {
			rec.Attributes["access_key_last_used"] = "never"
		}
	}
	return nil
}
