//go:build !unix

package runner

// lowerPriority is not implemented off Unix; the service manager's
// priority settings apply there.
func lowerPriority() error { return nil }
