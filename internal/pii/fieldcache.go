package pii

import "sync"

// maxCachedFields bounds a fieldCache: a table has tens of columns and a
// JSON document tens of keys, which repeat on every row; a file of endless
// distinct keys gets each classified anew, never kept.
const maxCachedFields = 4096

// fieldCache remembers how field names classify (classifyField), for one
// detector and all its goroutines: classifying a name (its words, six
// languages) cost more than detecting most values under it — 38 % of a
// scan of a JSON export of 64 MiB, where each object repeats the same keys.
type fieldCache struct {
	mu sync.RWMutex
	m  map[string]fieldKind
}

func newFieldCache() *fieldCache { return &fieldCache{m: make(map[string]fieldKind)} }

// kind is classifyField(name), from the cache when it is there. A nil
// cache (the zero detector) classifies each time.
func (c *fieldCache) kind(name []byte) fieldKind {
	if c == nil || len(name) > 256 {
		return classifyField(name)
	}
	c.mu.RLock()
	k, ok := c.m[string(name)]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = classifyField(name)
	c.mu.Lock()
	if len(c.m) < maxCachedFields {
		c.m[string(name)] = k
	}
	c.mu.Unlock()
	return k
}
