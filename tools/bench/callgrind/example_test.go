package callgrind_test

import (
	"fmt"

	"github.com/covetgo/covet/tools/bench/callgrind"
)

// Table turns measurements into the README's markdown table, each server's
// figure followed by its ratio to the reference server.
func ExampleTable() {
	results := []callgrind.Result{
		{Server: "covet", Endpoint: "plaintext", PerRequest: 42864},
		{Server: "httprouter", Endpoint: "plaintext", PerRequest: 41858},
		{Server: "covet", Endpoint: "echo", PerRequest: 70179},
		{Server: "httprouter", Endpoint: "echo", PerRequest: 126851},
	}
	fmt.Print(callgrind.Table(results, []string{"covet", "httprouter"}, "httprouter"))
	// Output:
	// | endpoint | covet | httprouter |
	// |---|---:|---:|
	// | plaintext | 42864 (1.02×) | 41858 |
	// | echo | 70179 (0.55×) | 126851 |
}
