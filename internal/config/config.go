// Package config holds what the agent's and the collector's configuration
// loaders share: strict YAML (an unknown key is an error, as in Prometheus,
// so a typo is caught instead of silently ignored) and secrets read from a
// file or the environment, never from a flag.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadYAML decodes the YAML file at path into dst strictly. dst should
// already hold the defaults: keys absent from the file keep them.
func LoadYAML(path string, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	return DecodeYAML(path, data, dst)
}

// DecodeYAML is LoadYAML for bytes already read; name is used in errors.
func DecodeYAML(name string, data []byte, dst any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w (fix the file; unknown keys are errors)", name, err)
	}
	return nil
}

// Secret returns the secret named by a file path or, when the file is not
// given, the environment variable env. Surrounding whitespace is trimmed so a
// trailing newline in the file does not become part of the secret.
func Secret(file, env string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading secret file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(os.Getenv(env)), nil
}

// Env sets *dst from the environment variable name when it is set.
func Env(dst *string, name string) {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		*dst = v
	}
}

// Logger returns the text logger both programs write to stderr, at level
// (debug, info, warn, error; anything else means info).
func Logger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
