// Package awspolicy holds what the IAM and S3 scanners share in reading
// AWS policy documents (IAM policies, bucket policies).
package awspolicy

// Strings reads a policy element that may be written as one string or as
// a list of strings (Action, NotAction, Resource, an AWS principal);
// anything else, or an item that is not a string, gives nothing.
func Strings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
