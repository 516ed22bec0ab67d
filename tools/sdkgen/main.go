// Command sdkgen writes a Pulumi package's Node.js, Python and Go SDKs from its schema with Pulumi's
// own code generators, as `pulumi package gen-sdk schema.json` does.
//
// The CLI that `make pulumi` builds cannot run gen-sdk: it delegates generation to the language
// hosts' GeneratePackage, which the hosts built here (from old sdk/v3 releases) lack. This program
// does what gen-sdk and a current host do between them, at the pinned version of pkg/v3
// (cmd/pulumi/packagecmd/package_gen_sdk.go, cmd/pulumi/packages/packages.go GenSDK, and each
// host's GeneratePackage):
//   - read the schema (JSON or YAML) and bind it, dangling references allowed;
//   - with -version, override the package's version (as gen-sdk --version);
//   - hand each language the bound package marshalled back to JSON, which the language binds again;
//   - empty the language's output directory first, then write every file the generator returns,
//     named by the host ("pulumi-language-nodejs" etc.) as the generated headers say.
//
// Usage: sdkgen [-schema schema.json] [-out sdk] [-version X.Y.Z] [-language nodejs,python,go]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	"gopkg.in/yaml.v3"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// generators maps each language to Pulumi's generator, called as that language's host calls it.
var generators = map[string]func(*schema.Package, schema.ReferenceLoader) (map[string][]byte, error){
	"nodejs": func(pkg *schema.Package, loader schema.ReferenceLoader) (map[string][]byte, error) {
		return nodejs.GeneratePackage("pulumi-language-nodejs", pkg, nil, nil, false, loader)
	},
	"python": func(pkg *schema.Package, loader schema.ReferenceLoader) (map[string][]byte, error) {
		return python.GeneratePackage("pulumi-language-python", pkg, nil, loader)
	},
	"go": func(pkg *schema.Package, _ schema.ReferenceLoader) (map[string][]byte, error) {
		return gogen.GeneratePackage("pulumi-language-go", pkg, nil)
	},
}

func main() {
	// A flag set of our own: the global one also holds the flags of libraries pkg/v3 imports (glog's).
	flags := flag.NewFlagSet("sdkgen", flag.ExitOnError)
	schemaPath := flags.String("schema", "schema.json", "the package schema (JSON or YAML)")
	out := flags.String("out", "sdk", "the directory that receives one directory per language")
	version := flags.String("version", "", "the package version to generate for, overriding the schema's")
	languages := flags.String("language", "nodejs,python,go", "the languages to generate, comma-separated")
	_ = flags.Parse(os.Args[1:]) // ExitOnError: a bad flag has exited already
	if flags.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments %q (flags only, see -help)", flags.Args()))
	}
	if err := run(*schemaPath, *out, *version, strings.Split(*languages, ",")); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "sdkgen: %v\n", err)
	os.Exit(1)
}

func run(schemaPath, out, version string, languages []string) error {
	for _, language := range languages {
		if generators[language] == nil {
			return fmt.Errorf("unknown language %q: use nodejs, python or go", language)
		}
	}
	spec, err := readSpec(schemaPath)
	if err != nil {
		return err
	}
	pkg, err := bind(spec)
	if err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	if version != "" {
		parsed, err := semver.Parse(version)
		if err != nil {
			return fmt.Errorf("invalid version %q: %w", version, err)
		}
		pkg.Version = &parsed
	}
	// What gen-sdk sends a language host: the bound package, marshalled back to a schema.
	bound, err := pkg.MarshalJSON()
	if err != nil {
		return err
	}
	for _, language := range languages {
		directory := filepath.Join(out, language)
		if err := generate(language, bound, directory); err != nil {
			return fmt.Errorf("%s SDK: %w", language, err)
		}
		fmt.Fprintf(os.Stderr, "sdkgen: the %s SDK has been written to %s\n", language, directory)
	}
	return nil
}

func readSpec(path string) (schema.PackageSpec, error) {
	var spec schema.PackageSpec
	raw, err := os.ReadFile(path)
	if err != nil {
		return spec, err
	}
	switch filepath.Ext(path) {
	case ".yaml", ".yml":
		err = yaml.Unmarshal(raw, &spec)
	default:
		err = json.Unmarshal(raw, &spec)
	}
	if err != nil {
		return spec, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// bind binds a schema as gen-sdk and the language hosts do: dangling references allowed, errors fatal.
func bind(spec schema.PackageSpec) (*schema.Package, error) {
	pkg, diags, err := schema.BindSpec(spec, schema.NewCachedLoader(selfContained{}), schema.ValidationOptions{
		AllowDanglingReferences: true,
	})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return pkg, nil
}

// generate binds the marshalled package afresh (generators write into the package's language
// info) and replaces DIRECTORY with what the generator returns, so that removed files disappear.
func generate(language string, bound []byte, directory string) error {
	var spec schema.PackageSpec
	if err := json.Unmarshal(bound, &spec); err != nil {
		return err
	}
	pkg, err := bind(spec)
	if err != nil {
		return err
	}
	loader := schema.NewCachedLoader(selfContained{})
	files, err := generators[language](pkg, loader)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(directory); err != nil {
		return err
	}
	if err := os.MkdirAll(directory, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(directory, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// selfContained is the schema loader: the CLI's would start other packages' plugins to read their
// schemas; a schema of ours refers to no other package, and saying so beats a silent half-SDK.
type selfContained struct{}

func (selfContained) refuse(name string) error {
	return fmt.Errorf("the schema refers to package %q; sdkgen generates self-contained packages only "+
		"(use `pulumi package gen-sdk` with a CLI whose language hosts implement GeneratePackage)", name)
}

func (l selfContained) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, l.refuse(name)
}

func (l selfContained) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, l.refuse(d.Name)
}

func (l selfContained) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, l.refuse(name)
}

func (l selfContained) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, l.refuse(d.Name)
}
