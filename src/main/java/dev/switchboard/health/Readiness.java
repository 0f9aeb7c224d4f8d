package dev.switchboard.health;

import dev.switchboard.room.RoomRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Whether this instance should get new connections: when its room store can take joins. Never
 * blocks: it reads state, it does not probe.
 */
@ApplicationScoped
public class Readiness {

  @Inject RoomRegistry registry;

  public boolean isReady() {
    return registry.isReady();
  }
}
