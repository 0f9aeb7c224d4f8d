package dev.switchboard.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/** Alive whenever the application answers at all, like the original's {@code /healthz}. */
@ApplicationScoped
@org.eclipse.microprofile.health.Liveness
public class LivenessCheck implements HealthCheck {

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.up("switchboard");
  }
}
