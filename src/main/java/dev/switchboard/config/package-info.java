/**
 * One typed, validated view of the configuration, read from the original server's environment
 * variables through MicroProfile Config and logged once at start with secrets masked.
 */
package dev.switchboard.config;
