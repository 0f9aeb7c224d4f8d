package dev.switchboard.health;

import dev.switchboard.lifecycle.Drain;
import dev.switchboard.room.RoomRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Whether this instance should get new connections: when it is not draining and its room store can
 * take joins. Never blocks: it reads state, it does not probe.
 */
@ApplicationScoped
public class Readiness {

  @Inject RoomRegistry registry;
  @Inject Drain drain;

  public boolean isReady() {
    return !drain.isDraining() && registry.isReady();
  }
}
