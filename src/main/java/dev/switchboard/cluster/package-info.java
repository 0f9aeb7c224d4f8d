/**
 * Scale-out over Redis with Redisson: seats claimed atomically across instances, a pub/sub channel
 * per room that an instance listens to only while it holds one of the room's members, instance
 * liveness with reaping of crashed instances, and a MicroProfile Fault Tolerance circuit breaker
 * around Redis. Chosen when {@code REDIS_URL} or {@code REDISSON_CONFIG} is set; otherwise rooms
 * stay in memory and nothing here connects anywhere.
 */
package dev.switchboard.cluster;
