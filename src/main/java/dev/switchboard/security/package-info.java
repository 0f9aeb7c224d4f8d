/** Who may connect: JWT verification with smallrye-jwt and the handshake-time token checks. */
package dev.switchboard.security;
