package graph

import (
	"reflect"
	"testing"
)

// Every cost the plain schema sets is set for the subgraph too: a Query field added later
// without its subgraph cost would be cheap to abuse through /subgraph.
func TestSubgraphComplexityCoversThePlainSchema(t *testing.T) {
	plain, sub := reflect.ValueOf(complexity()), reflect.ValueOf(subgraphComplexity())
	for i := 0; i < plain.NumField(); i++ {
		typ := plain.Type().Field(i).Name
		p, s := plain.Field(i), sub.FieldByName(typ)
		if !s.IsValid() {
			t.Errorf("the subgraph has no type %s", typ)
			continue
		}
		for j := 0; j < p.NumField(); j++ {
			field := p.Type().Field(j).Name
			if !p.Field(j).IsNil() && s.FieldByName(field).IsNil() {
				t.Errorf("%s.%s has a cost in the plain schema and none in the subgraph", typ, field)
			}
		}
	}
}
