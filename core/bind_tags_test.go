package covet

import (
	"strings"
	"testing"
)

func TestParseTagRefusesMalformedTags(t *testing.T) {
	cases := []struct{ name, tag, want string }{
		{"unquoted value", `json:"n" minimum:1`, "malformed struct tag"},
		{"unterminated", `json:"n" minimum:"1`, "unterminated value for key minimum"},
		{"missing colon", `json:"n" minimum`, "malformed struct tag"},
		{"duplicate key", `minimum:"1" minimum:"2"`, "duplicate tag minimum"},
		{"two locations", `query:"a" header:"b"`, "more than one location tag"},
		{"required value", `required:"yes"`, `required must be "true" or "false"`},
		{"case typo", `MaxLength:"3"`, "did you mean maxLength"},
		{"go-playground habit", `min:"3"`, "Covet uses JSON Schema keywords"},
		{"typo", `minimun:"3"`, "did you mean minimum?"},
		{"typo in a long key", `exclusiveMaxmum:"3"`, "did you mean exclusiveMaximum?"},
		{"plural", `enums:"a,b"`, "did you mean enum?"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFieldTags(tc.tag)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseFieldTags(%q) = %v, want an error containing %q", tc.tag, err, tc.want)
			}
		})
	}
	ft, err := parseFieldTags(`json:"name,omitempty" db:"x" bun:"y" gorm:"z" yaml:"n" xml:"n" param:"p" binding:"required" mapstructure:"m" validate:"required" minLength:"2" doc:"The name"`)
	if err != nil || ft.json != "name" || !ft.omitEmpty || ft.vals["minLength"] != "2" || ft.vals["doc"] != "The name" {
		t.Fatalf("%+v %v", ft, err)
	}
}
