package model

// The federation subgraph (graph/subgraph) resolves these types as entities by id; gqlgen's
// federation runtime marks entities with this method. It changes nothing in the plain schema.

func (ITwin) IsEntity()   {}
func (Account) IsEntity() {}
func (User) IsEntity()    {}
func (Member) IsEntity()  {}
