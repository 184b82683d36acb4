package policy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
)

// Label keys and values follow Kubernetes' shape, short enough for a
// fleet view: keys start with a letter or digit.
var (
	labelKey   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$`)
	labelValue = regexp.MustCompile(`^[A-Za-z0-9._-]{0,63}$`)
)

// maxLabels bounds an agent's labels and a selector's pairs.
const maxLabels = 32

// CheckLabels validates labels (or a selector), naming what is wrong;
// field is what the caller calls them ("labels", "selector").
func CheckLabels(field string, l map[string]string) error {
	if len(l) > maxLabels {
		return fmt.Errorf("%w: %s: at most %d labels", ErrInvalid, field, maxLabels)
	}
	keys := slices.Sorted(maps.Keys(l))
	for _, k := range keys {
		if !labelKey.MatchString(k) {
			return fmt.Errorf("%w: %s: key %q: use letters, digits and . _ / - (at most 63, starting with a letter or digit)", ErrInvalid, field, k)
		}
		if !labelValue.MatchString(l[k]) {
			return fmt.Errorf("%w: %s.%s: value %q: use letters, digits and . _ - (at most 63)", ErrInvalid, field, k, l[k])
		}
	}
	return nil
}

// Matches says whether a selector selects an agent with these labels:
// every pair must be among them (an empty selector selects every agent).
func Matches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
