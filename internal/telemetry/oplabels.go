package telemetry

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Operation names are chosen by clients, so the metrics give only some of them series of their
// own. With a trusted documents manifest those are the manifest's operation names. Without one,
// names earn their series by use and keep them only while they are among the busiest: the set is
// elected again every opLabelWindow from what was counted, so junk names sent right after a
// deploy cannot hold the places for good, and a demoted name's series are deleted.

// Bounds of the operation label set.
const (
	MaxOperationLabels = 100                     // names with series of their own
	opLabelCandidates  = 10 * MaxOperationLabels // names counted between elections
	opLabelWindow      = time.Minute
)

// opLabels decides which operation names get series.
type opLabels struct {
	mu sync.Mutex
	// listed, when set, says whether a name is in the trusted documents manifest.
	listed  func(string) bool
	now     func() time.Time
	next    time.Time       // the next election
	labeled map[string]bool // names with series now
	// counts are the uses of names since the last election, kept with the space-saving rule: when
	// full, a new name takes the place of the least used one, with its count plus one, so the
	// busiest names are always among those counted.
	counts map[string]int
	// demoted is told of names that lost their series, to delete them.
	demoted func(name string)
}

func newOpLabels(now func() time.Time, demoted func(string)) *opLabels {
	return &opLabels{now: now, next: now().Add(opLabelWindow), labeled: map[string]bool{}, counts: map[string]int{}, demoted: demoted}
}

// label is the series name for an operation name that passed the metrics' character check.
func (o *opLabels) label(name string) string {
	if o.listed != nil {
		if o.listed(name) {
			return name
		}
		return "other"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if t := o.now(); !t.Before(o.next) {
		o.elect()
		o.next = t.Add(opLabelWindow)
	}
	o.count(name)
	if !o.labeled[name] {
		if len(o.labeled) >= MaxOperationLabels {
			return "other"
		}
		o.labeled[name] = true
	}
	return name
}

func (o *opLabels) count(name string) {
	if _, ok := o.counts[name]; ok || len(o.counts) < opLabelCandidates {
		o.counts[name]++
		return
	}
	least, min := "", 0
	for n, c := range o.counts {
		if least == "" || c < min {
			least, min = n, c
		}
	}
	delete(o.counts, least)
	o.counts[name] = min + 1
}

// elect gives series to the busiest names of the window that ended, and takes them from the rest.
func (o *opLabels) elect() {
	names := make([]string, 0, len(o.counts))
	for n := range o.counts {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(o.counts[b], o.counts[a]); c != 0 {
			return c
		}
		// Among equals, names that have series keep them: fewer series churn.
		if la, lb := o.labeled[a], o.labeled[b]; la != lb {
			if la {
				return -1
			}
			return 1
		}
		return cmp.Compare(a, b)
	})
	elected := map[string]bool{}
	for _, n := range names[:min(len(names), MaxOperationLabels)] {
		elected[n] = true
	}
	for n := range o.labeled {
		if !elected[n] && o.demoted != nil {
			o.demoted(n)
		}
	}
	o.labeled = elected
	clear(o.counts)
}
