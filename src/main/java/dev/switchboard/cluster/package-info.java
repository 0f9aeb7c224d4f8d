/**
 * Scale-out over Redis with Redisson: seats claimed atomically across instances, a pub/sub channel
 * per instance that the others publish its members' frames to, instance liveness with reaping of
 * crashed instances, and a MicroProfile Fault Tolerance circuit breaker around Redis. Chosen when
 * {@code REDIS_URL} or {@code REDISSON_CONFIG} is set; otherwise rooms stay in memory and nothing
 * here connects anywhere.
 */
package dev.switchboard.cluster;
