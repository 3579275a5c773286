//go:build !unix

package release

// CacheLease is a run's claim on this repository's module versions in the
// go command's module cache; Release ends it.
type CacheLease struct{}

// Release ends the lease.
func (l *CacheLease) Release() {}

// LeaseCache purges stale copies of the proxy's versions from the module
// cache. Without flock, concurrent runs over different trees are not kept
// apart on this system.
func (p *Proxy) LeaseCache(wait func(string)) (*CacheLease, error) {
	return &CacheLease{}, p.PurgeStaleCache()
}
