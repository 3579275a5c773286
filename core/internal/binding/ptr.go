package binding

import "unsafe"

// Ptr returns the pointer v holds. The binder's entry points take the
// value they fill as an interface holding a pointer to the plan's type
// (the *In a typed handler allocated, the pointer Bind was given), so that
// the covet package passes typed pointers and never handles unsafe.Pointer
// itself. An interface holding a pointer stores the pointer itself as its
// data word (reflect.Value.UnsafePointer relies on the same layout);
// TestPtr breaks if that ever changes. v must hold a pointer: the callers
// check it (reflect at Bind, the type system for typed handlers).
func Ptr(v any) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1]
}
