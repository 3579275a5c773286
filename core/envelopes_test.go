package covet_test

import (
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
)

func TestCreated(t *testing.T) {
	type item struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	type in struct {
		Body struct {
			Name string `json:"name"`
		}
	}
	app := covet.New()
	covet.Post(app, "/items", func(c *covet.Context, in *in) (*covet.Created[item], error) {
		return covet.NewCreated("/items/7", item{ID: 7, Name: in.Body.Name}), nil
	})
	covettest.New(t, app).Post("/items").JSON(map[string]string{"name": "lamp"}).Do().
		ExpectStatus(http.StatusCreated).ExpectHeader("Location", "/items/7").ExpectJSON(`{"id":7,"name":"lamp"}`)
}
