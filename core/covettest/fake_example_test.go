package covettest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

// notifier is code under test: it posts to a webhook URL.
type notifier struct {
	client *http.Client
	url    string
}

func (n *notifier) notify(event string) error {
	res, err := n.client.Post(n.url, "application/json", strings.NewReader(`{"event":"`+event+`"}`))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		return fmt.Errorf("webhook answered %d", res.StatusCode)
	}
	return nil
}

type hookIn struct {
	Body struct {
		Event string `json:"event" enum:"task.created,task.done"`
	}
}

func ExampleFakeService() {
	t := &testing.T{} // in a test: the test's *testing.T
	fake := covettest.FakeService(t)
	covet.Post(fake, "/hooks", func(c *covet.Context, in *hookIn) (*struct{}, error) {
		return nil, nil // 204
	})

	n := &notifier{client: &http.Client{}, url: "https://hooks.example.com/hooks"}
	fake.Intercept(n.client, "hooks.example.com") // the code keeps its real URL

	fmt.Println(n.notify("task.created"))
	fmt.Println(n.notify("task.deleted")) // the fake validates what the code sends
	fake.FailNext("POST /hooks", http.StatusBadGateway, 1)
	fmt.Println(n.notify("task.done"))

	fake.ExpectCalls("POST /hooks", 3)
	var sent map[string]string
	_ = json.Unmarshal(fake.Calls("POST /hooks")[0].Body, &sent)
	fmt.Println(sent["event"], fake.LastCall("POST /hooks").Status)
	// Output:
	// <nil>
	// webhook answered 422
	// webhook answered 502
	// task.created 502
}
