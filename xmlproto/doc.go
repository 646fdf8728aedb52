// Package xmlproto is the EC2 Query wire format and nothing else.
//
// Requests arrive as form values (URL query and form body merged) naming an
// Action; Decode fills a typed struct from them by its `ec2` struct tags:
//
//	type Filter struct {
//		Name   string   `ec2:"Name"`
//		Values []string `ec2:"Value"` // Value.1, Value.2, …
//	}
//	type DescribeInstancesRequest struct {
//		InstanceIDs []string `ec2:"InstanceId"`
//		Filters     []Filter `ec2:"Filter"`     // Filter.1.Name, Filter.1.Value.1
//		MaxResults  *int     `ec2:"MaxResults"`
//	}
//
// Lists are flattened and 1-based (`Name.N`, no `.member.`), read in numeric
// order whatever the gaps; nested structures are dotted; booleans are
// `true`/`false`; `[]byte` fields are base64. Unknown parameters are ignored
// and authentication parameters never reach the structs.
//
// Responses are written by Encode with EC2's envelope
// (`<ActionResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` and a
// `<requestId>`), fields named by their `xml` tags exactly as AWS spells them,
// every list as `<name><item>…</item></name>`, and no empty numeric, boolean
// or time elements. WriteError writes the
// `<Response><Errors><Error>…</Error></Errors><RequestID>…</RequestID></Response>`
// envelope. The encoder is a small reflection-free-on-the-hot-path writer:
// each type's field plan is computed once and cached.
package xmlproto
