package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/rules"
)

// schemaCommand prints the JSON Schema of rule files or rule-test files,
// generated from the same shape types the loader reads keys from.
func schemaCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema [--file rules|tests]",
		Short: "Print the JSON Schema (draft 2020-12) of rule files or rule-test files, for editors",
		Args:  cobra.NoArgs,
	}
	file := cmd.Flags().String("file", rules.SchemaRules, "which files: rules or tests (*_test.yaml)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if *file != rules.SchemaRules && *file != rules.SchemaTests {
			return fmt.Errorf("--file must be rules or tests, not %q", *file)
		}
		b, err := rules.Schema(*file)
		if err != nil {
			return failure{err}
		}
		_, err = cmd.OutOrStdout().Write(b)
		return err
	}
	return cmd
}
