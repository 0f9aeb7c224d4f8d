package dev.switchboard.admin;

/** What a JMX console sees of this instance: {@code dev.switchboard:type=Registry}. */
public interface RegistryMXBean {

  int getConnections();

  int getRooms();

  boolean isDraining();

  boolean isReady();

  /** Takes the instance out of service (as SIGTERM does, without exiting); returns milliseconds. */
  long drain();
}
