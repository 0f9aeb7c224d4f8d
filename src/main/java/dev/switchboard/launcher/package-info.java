/** The uber-jar's entry point: validates configuration, then boots Payara Micro. */
package dev.switchboard.launcher;
