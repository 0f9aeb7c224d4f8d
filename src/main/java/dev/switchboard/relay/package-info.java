/**
 * The WebSocket face of the server: the endpoint, the handshake checks (origin, subprotocol, WSS,
 * room id), and the v1 message codec. The wire protocol is documented in {@code docs/protocol.md}.
 */
package dev.switchboard.relay;
