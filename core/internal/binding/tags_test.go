package binding

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
	ft, err := parseFieldTags(`json:"name,omitempty" db:"x" bun:"y" gorm:"z" yaml:"n" xml:"n" param:"p" binding:"min=2" mapstructure:"m" validate:"omitempty,min=2" minLength:"2" doc:"The name"`)
	if err != nil || ft.json != "name" || !ft.omitEmpty || ft.vals["minLength"] != "2" || ft.vals["doc"] != "The name" {
		t.Fatalf("%+v %v", ft, err)
	}
}

// Issue 12 §4: tags of other validators were silently ignored while a
// misspelt Covet tag failed loudly. A validate: or binding: rule that no
// Covet tag on the field expresses now fails at registration, naming the
// Covet equivalent; a type that carries both (shared with a validator-based
// stack) passes.
func TestForeignValidatorTagsFailNamingTheCovetEquivalent(t *testing.T) {
	for _, tc := range []struct{ name, tag, want string }{
		{"min on its own", `json:"n" validate:"required,min=1"`, `rule "min=1" has no Covet tag on this field; use minLength (strings), minimum (numbers) or minItems (slices)`},
		{"gin binding required on a query", `query:"q" binding:"required"`, `use required:"true"`},
		{"required on an optional body field", `json:"n,omitempty" validate:"required"`, `use required:"true"`},
		{"email", `json:"e" validate:"email"`, `use format:"email"`},
		{"oneof", `json:"k" binding:"oneof=a b"`, `use enum:"a,b,c"`},
		{"gte", `json:"q" validate:"gte=1" maximum:"9"`, "use minimum"},
		{"no equivalent", `json:"x" validate:"required_with=Y"`, "Validate() error method"},
		{"numeric without pattern", `json:"z" validate:"numeric"`, "use pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFieldTags(tc.tag)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Covet does not run") {
				t.Fatalf("parseFieldTags(%q) = %v, want an error containing %q", tc.tag, err, tc.want)
			}
		})
	}
	for _, tag := range []string{
		`json:"city" validate:"required,min=1,max=64" binding:"required,min=1,max=64" minLength:"1" maxLength:"64"`,
		`json:"zip" validate:"required,len=5,numeric" pattern:"^[0-9]{5}$"`,
		`json:"d,omitempty" validate:"omitempty,max=256" maxLength:"256"`,
		`json:"kind" validate:"required,oneof=book movie" enum:"book,movie"`,
		`query:"q" binding:"required" required:"true"`,
		`path:"id" validate:"required,gte=1" minimum:"1"`,
		`json:"-" validate:"required"`,
		`json:"tags" validate:"dive,min=1" minLength:"1"`,
	} {
		if _, err := parseFieldTags(tag); err != nil {
			t.Errorf("parseFieldTags(%q) = %v", tag, err)
		}
	}
}
