package dev.switchboard.room;

import java.util.UUID;

/** A connection's identity inside the server; never sent to other clients. */
public record PeerId(String value) {

  public static PeerId random() {
    return new PeerId("client:" + UUID.randomUUID());
  }

  @Override
  public String toString() {
    return value;
  }
}
