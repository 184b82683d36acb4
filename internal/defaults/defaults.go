// Package defaults fills the options a caller left unset.
package defaults

// Number is what a size, count, rate or duration option is made of.
type Number interface {
	~int | ~int64 | ~float64
}

// Positive returns v when it is above zero, else def: a limit left at
// zero (or set negative, which bounds nothing) takes its default.
func Positive[T Number](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
