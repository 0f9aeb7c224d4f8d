package dev.switchboard.cluster;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.metrics.SignalingMetrics;
import dev.switchboard.room.LocalRoomStore;
import dev.switchboard.room.RoomBus;
import dev.switchboard.room.RoomRegistry;
import dev.switchboard.room.RoomStore;
import dev.switchboard.security.SharedLimits;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.BaseConfig;
import org.redisson.config.Config;
import org.redisson.config.SingleServerConfig;

/**
 * Chooses where rooms live: in memory, or in Redis when {@code REDIS_URL} or {@code
 * REDISSON_CONFIG} is set. With Redis it owns the one {@link RedissonClient}, its I/O pool and the
 * {@link InstanceLiveness} timers, and shuts them down with the application.
 */
@ApplicationScoped
public class ClusterProducer {

  private static final Logger LOG = Logger.getLogger(ClusterProducer.class.getName());

  /**
   * Threads for seat claims and releases and the liveness timers. They spend their time waiting on
   * Redis round trips (a join makes two calls in a row), so they bound how many joins are under way
   * at once, not CPU. With 4, a burst of 16,000 clients at 2,000/s on a Redis-backed instance
   * queued joins for 7 s on average (the claims themselves took 5 ms) and rooms went unconfirmed
   * for over 15 s; with 16, the mean join took 26 ms for the same CPU per connection.
   */
  private static final int IO_THREADS = 16;

  @Inject SignalingConfig config;
  @Inject RedisGateway gateway;
  @Inject SignalingMetrics metrics;
  @Inject Instance<RoomRegistry> registry;

  private RoomStore store;
  private RoomBus bus;
  private SharedLimits sharedLimits;
  private RedisRoomBus redisBus;
  private RedissonClient redis;
  private ScheduledThreadPoolExecutor io;
  private InstanceLiveness liveness;

  @Produces
  @ApplicationScoped
  RoomStore store() {
    init();
    return store;
  }

  @Produces
  @ApplicationScoped
  RoomBus bus() {
    init();
    return bus;
  }

  @Produces
  @ApplicationScoped
  SharedLimits sharedLimits() {
    init();
    return sharedLimits;
  }

  private synchronized void init() {
    if (store != null) {
      return;
    }
    if (!config.usesRedis()) {
      store = new LocalRoomStore(config.roomCapacity());
      bus = RoomBus.NONE;
      sharedLimits = SharedLimits.NONE;
      return;
    }
    Config redisson = redissonConfig(config);
    InstanceLiveness[] live = new InstanceLiveness[1];
    redisson.setConnectionListener(
        InstanceLiveness.listener(redisson.getConnectionListener(), () -> live[0]));
    redis = Redisson.create(redisson);
    AtomicInteger count = new AtomicInteger();
    io =
        new ScheduledThreadPoolExecutor(
            IO_THREADS,
            task -> {
              Thread t = new Thread(task, "switchboard-redis-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    io.setRemoveOnCancelPolicy(true);
    redisBus =
        new RedisRoomBus(
            redis,
            config.instanceId(),
            redisson.isClusterConfig(),
            () -> live[0] != null && live[0].isUp(),
            () -> live[0] != null && live[0].keyCertainlyAlive(),
            metrics::redisCommand,
            metrics.unproxied().get(),
            config.backpressureCloseThresholdBytes());
    RedisRoomStore redisStore =
        new RedisRoomStore(
            redis,
            redisBus,
            gateway,
            io,
            config.instanceId(),
            config.roomCapacity(),
            config.roomTtlSeconds(),
            !redisson.isClusterConfig());
    redisStore.backendUp(false); // until the first probe answers
    liveness =
        new InstanceLiveness(
            redis,
            redisStore,
            redisBus,
            config.instanceId(),
            Duration.ofMillis(config.instanceTtlMs()),
            () -> registry.get().joinedSeats());
    live[0] = liveness;
    store = redisStore;
    bus = redisBus;
    sharedLimits =
        new RedisSharedLimits(redis, () -> redisStore.isBackendUp() && !redisStore.isCircuitOpen());
    redisBus.start();
    io.execute(() -> liveness.start(io));
    LOG.info(
        () ->
            "Rooms in Redis ("
                + (redisson.isClusterConfig()
                    ? "cluster, sharded pub/sub"
                    : redisson.isSentinelConfig() ? "sentinel" : "single server")
                + "), instance "
                + config.instanceId());
  }

  /**
   * No Redisson PING on our connections. Redisson (3.52.0, and 4.0.0 alike) drops a pub/sub message
   * now and then on a subscription connection it pings: a PING whose reply has not arrived when its
   * timer checks is cancelled, and the decoder then skips the next reply on the wire as that
   * PING's, which on a subscription connection can be a message. The cross-instance benchmark lost
   * 2 to 74 of 60,000 frames per run at a 1 s ping and none with it off; a bare Redisson publisher
   * and subscriber lose 47 of 200,000 at a 10 ms ping, none with it off. Dead connections are found
   * by TCP keepalive instead (about {@code 5 + 2 x 3} s), a closed one by the socket closing, and
   * an unresponsive Redis by the liveness probe's command timeouts.
   */
  static final int TCP_KEEPALIVE_IDLE_S = 5;

  static final int TCP_KEEPALIVE_INTERVAL_S = 2;

  static final int TCP_KEEPALIVE_PROBES = 3;

  /** Redisson's configuration: the YAML file of {@code REDISSON_CONFIG}, or {@code REDIS_URL}. */
  static Config redissonConfig(SignalingConfig config) {
    Config c;
    if (config.redissonConfig().isPresent()) {
      try {
        c = Config.fromYAML(new File(config.redissonConfig().get()));
        warnIfPinging(c);
      } catch (IOException e) {
        throw new UncheckedIOException("REDISSON_CONFIG could not be read", e);
      }
    } else {
      URI url = config.redisUrl().orElseThrow();
      c = new Config();
      SingleServerConfig server =
          c.useSingleServer()
              .setAddress(url.getScheme() + "://" + url.getHost() + ":" + port(url))
              .setConnectTimeout(1_000)
              .setTimeout(3_000) // a busy machine answers late; outages are caught by the probe
              .setRetryAttempts(1)
              .setRetryInterval(200)
              .setPingConnectionInterval(0) // see TCP_KEEPALIVE_IDLE_S
              .setKeepAlive(true)
              .setTcpKeepAliveIdle(TCP_KEEPALIVE_IDLE_S)
              .setTcpKeepAliveInterval(TCP_KEEPALIVE_INTERVAL_S)
              .setTcpKeepAliveCount(TCP_KEEPALIVE_PROBES)
              .setConnectionMinimumIdleSize(2)
              // One channel per instance (RedisRoomBus.CHANNELS), whatever its rooms: Redisson's
              // default subscription pool (5 channels per connection) is plenty.
              .setSubscriptionConnectionMinimumIdleSize(1);
      String userInfo = url.getRawUserInfo();
      if (userInfo != null && !userInfo.isEmpty()) {
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? "" : decode(userInfo.substring(0, colon));
        String password = decode(colon < 0 ? userInfo : userInfo.substring(colon + 1));
        if (!user.isEmpty()) {
          server.setUsername(user);
        }
        server.setPassword(password);
      }
      String path = url.getPath();
      if (path != null && path.length() > 1) {
        server.setDatabase(Integer.parseInt(path.substring(1)));
      }
    }
    // Start even when Redis is down: readiness says so, and the probe connects when it returns.
    c.setLazyInitialization(true);
    return c;
  }

  /** The file's PING interval (Redisson's default is 30 s): see {@link #TCP_KEEPALIVE_IDLE_S}. */
  private static void warnIfPinging(Config c) {
    int ping = pingInterval(c);
    if (ping > 0) {
      LOG.warning(
          () ->
              "REDISSON_CONFIG pings connections every "
                  + ping
                  + " ms: Redisson can drop a pub/sub message on a subscription connection it pings,"
                  + " losing a frame between instances now and then. Set pingConnectionInterval: 0"
                  + " and keepAlive: true (with tcpKeepAliveIdle, tcpKeepAliveInterval,"
                  + " tcpKeepAliveCount) instead; signaling_bus_missing_envelopes_total counts"
                  + " such losses.");
    }
  }

  /** The PING interval of whichever server mode {@code c} uses. */
  static int pingInterval(Config c) {
    return serverConfig(c).getPingConnectionInterval();
  }

  /** The connection settings of whichever server mode {@code c} uses (Redisson's are protected). */
  static BaseConfig<?> serverConfig(Config c) {
    return new Config(c) {
      BaseConfig<?> servers() {
        if (isClusterConfig()) {
          return getClusterServersConfig();
        }
        if (isSentinelConfig()) {
          return getSentinelServersConfig();
        }
        if (getReplicatedServersConfig() != null) {
          return getReplicatedServersConfig();
        }
        if (getMasterSlaveServersConfig() != null) {
          return getMasterSlaveServersConfig();
        }
        return getSingleServerConfig();
      }
    }.servers();
  }

  private static int port(URI url) {
    return url.getPort() > 0 ? url.getPort() : 6379;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  @PreDestroy
  void stop() {
    if (redis == null) {
      return;
    }
    redisBus.stopRetrying(); // a publish that fails now is dropped, not held for seconds
    io.shutdown(); // queued seat releases from the drain still run, then announce the leaves
    try {
      if (!io.awaitTermination(3, TimeUnit.SECONDS)) {
        io.shutdownNow();
      }
      if (!redisBus.awaitIdle(Duration.ofSeconds(2))) {
        LOG.warning("Some leave announcements were still unpublished at shutdown");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    liveness.stop();
    redisBus.shutdown();
    try {
      redis.shutdown(0, 2, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Redisson shutdown", e);
    }
  }
}
