package dev.switchboard.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens WebSocket client connections on a small fixed NIO event-loop group. Connections are spread
 * round-robin over local source addresses (127.0.0.x) so that one process can hold more connections
 * than one address has ephemeral ports.
 */
public final class WsConnector implements AutoCloseable {
  public static final int MAX_FRAME = 262_144 * 2;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final List<InetAddress> sourceIps;
  private final AtomicInteger next = new AtomicInteger();

  public WsConnector(int threads, List<InetAddress> sourceIps) {
    this.group = new NioEventLoopGroup(threads, new DefaultThreadFactory("bench-io", true));
    this.sourceIps = List.copyOf(sourceIps);
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, false)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(32 * 1024, 256 * 1024));
  }

  public EventLoopGroup group() {
    return group;
  }

  public List<InetAddress> sourceIps() {
    return sourceIps;
  }

  /**
   * Starts connecting to {@code uri} (which carries ?roomId=...); events go to {@code listener}.
   * {@code attachment} is in place before the first event, which may fire on an event loop before
   * this method returns.
   */
  public WsClient connect(URI uri, WsClient.Listener listener, Object attachment) {
    WsClient client = new WsClient(uri, listener, attachment);
    WebSocketClientHandshaker hs =
        WebSocketClientHandshakerFactory.newHandshaker(
            uri, WebSocketVersion.V13, null, false, EmptyHttpHeaders.INSTANCE, MAX_FRAME);
    Bootstrap b =
        bootstrap
            .clone()
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            new HttpClientCodec(),
                            new HttpObjectAggregator(16 * 1024),
                            new WebSocketClientProtocolHandler(hs, false, true, 10_000),
                            new WebSocketFrameAggregator(MAX_FRAME),
                            client);
                  }
                });
    InetSocketAddress remote =
        new InetSocketAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 80);
    ChannelFuture f;
    if (sourceIps.isEmpty()) {
      f = b.connect(remote);
    } else {
      InetAddress local = sourceIps.get(Math.floorMod(next.getAndIncrement(), sourceIps.size()));
      f = b.connect(remote, new InetSocketAddress(local, 0));
    }
    Channel ch = f.channel();
    client.bind(ch);
    f.addListener(
        fut -> {
          if (!fut.isSuccess()) {
            ch.eventLoop().execute(() -> client.connectFailed(fut.cause()));
          }
        });
    return client;
  }

  /**
   * Parses --source-ips: "auto" (loopback targets only: enough 127.0.0.x addresses for {@code
   * connections}, about 25,000 each), a comma list, or a range a.b.c.d-a.b.c.e. An empty list means
   * "let the kernel choose".
   */
  public static List<InetAddress> sourceIps(String spec, String targetHost, int connections) {
    try {
      if (spec == null || spec.isBlank() || spec.equals("auto")) {
        InetAddress target = InetAddress.getByName(targetHost);
        if (!target.isLoopbackAddress() || connections <= 25_000) {
          return List.of();
        }
        int n = (connections + 24_999) / 25_000;
        return range("127.0.0.1", "127.0.0." + n);
      }
      if (spec.equals("none")) {
        return List.of();
      }
      List<InetAddress> out = new ArrayList<>();
      for (String part : spec.split(",")) {
        String p = part.trim();
        int dash = p.indexOf('-');
        if (dash > 0) {
          out.addAll(range(p.substring(0, dash), p.substring(dash + 1)));
        } else {
          out.add(InetAddress.getByName(p));
        }
      }
      return out;
    } catch (UnknownHostException e) {
      throw new BenchArgs.UsageException("--source-ips: cannot resolve " + e.getMessage());
    }
  }

  static List<InetAddress> range(String from, String to) throws UnknownHostException {
    byte[] a = InetAddress.getByName(from).getAddress();
    byte[] b = InetAddress.getByName(to).getAddress();
    if (a.length != 4 || b.length != 4 || a[0] != b[0] || a[1] != b[1] || a[2] != b[2]) {
      throw new BenchArgs.UsageException(
          "--source-ips range must stay within one IPv4 /24: " + from + "-" + to);
    }
    List<InetAddress> out = new ArrayList<>();
    for (int i = a[3] & 0xff; i <= (b[3] & 0xff); i++) {
      out.add(InetAddress.getByAddress(new byte[] {a[0], a[1], a[2], (byte) i}));
    }
    if (out.isEmpty()) {
      throw new BenchArgs.UsageException("--source-ips range is empty: " + from + "-" + to);
    }
    return out;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}
