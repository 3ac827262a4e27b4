package engine

// RuleInfo names one rule of a ruleset and where it is written.
type RuleInfo struct {
	Name     string `json:"name"`
	Position string `json:"position"` // file:line:col of the rule
}

// Rules returns each rule's name and position, in evaluation order.
func (rs *Ruleset) Rules() []RuleInfo {
	out := make([]RuleInfo, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = RuleInfo{Name: r.name, Position: r.position}
	}
	return out
}
