//go:build !unix

package safeio

import "errors"

func makeFIFO(string) error { return errors.ErrUnsupported }
