package dev.switchboard.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny in-process server speaking the v1 protocol (rooms of two, relay to the other member,
 * peer-disconnected, "Room is full"), for testing the harness without Switchboard.
 */
final class MiniRelayServer implements AutoCloseable {
  private static final AttributeKey<String> ROOM = AttributeKey.valueOf("room");
  private final EventLoopGroup group = new NioEventLoopGroup(1);
  private final Map<String, Set<Channel>> rooms = new ConcurrentHashMap<>();
  private final Channel server;
  private final List<Channel> extraPorts = new CopyOnWriteArrayList<>();
  private final Map<Integer, AtomicLong> handshakes = new ConcurrentHashMap<>();

  /** When > 0, every n-th relayed message is also answered with rate-limited. */
  volatile int rateLimitEvery;

  final AtomicLong relayed = new AtomicLong();

  MiniRelayServer() throws InterruptedException {
    server = bind();
  }

  /**
   * Listens on one more port that shares this server's rooms, as a second instance behind Redis
   * would. Returns the port.
   */
  int addPort() throws InterruptedException {
    Channel extra = bind();
    extraPorts.add(extra);
    return ((InetSocketAddress) extra.localAddress()).getPort();
  }

  /** WebSocket handshakes completed on the given local port (refused joins included). */
  long handshakesOn(int port) {
    AtomicLong n = handshakes.get(port);
    return n == null ? 0 : n.get();
  }

  private Channel bind() throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline()
                    .addLast(
                        new HttpServerCodec(),
                        new HttpObjectAggregator(65536),
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                          @Override
                          protected void channelRead0(
                              ChannelHandlerContext ctx, FullHttpRequest req) {
                            List<String> id =
                                new QueryStringDecoder(req.uri()).parameters().get("roomId");
                            ctx.channel().attr(ROOM).set(id == null ? "" : id.get(0));
                            ctx.fireChannelRead(req.retain());
                          }
                        },
                        new WebSocketServerProtocolHandler("/", null, false, 1 << 20, false, true),
                        new Relay());
              }
            })
        .bind("127.0.0.1", 0)
        .sync()
        .channel();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  @Override
  public void close() {
    server.close();
    extraPorts.forEach(Channel::close);
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Relay extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
        int local = ((InetSocketAddress) ctx.channel().localAddress()).getPort();
        handshakes.computeIfAbsent(local, k -> new AtomicLong()).incrementAndGet();
        String room = ctx.channel().attr(ROOM).get();
        Set<Channel> members = rooms.computeIfAbsent(room, k -> ConcurrentHashMap.newKeySet());
        synchronized (members) {
          if (members.size() >= 2) {
            ctx.channel().attr(ROOM).set(null);
            ctx.writeAndFlush(new CloseWebSocketFrame(1000, "Room is full"))
                .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            return;
          }
          members.add(ctx.channel());
        }
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) {
      String room = ctx.channel().attr(ROOM).get();
      Set<Channel> members = room == null ? null : rooms.get(room);
      if (members == null) {
        return;
      }
      String text = f.text();
      for (Channel other : members) {
        if (other != ctx.channel()) {
          other.writeAndFlush(new TextWebSocketFrame(text));
        }
      }
      long n = relayed.incrementAndGet();
      int every = rateLimitEvery;
      if (every > 0 && n % every == 0) {
        ctx.writeAndFlush(
            new TextWebSocketFrame("{\"type\":\"control\",\"action\":\"rate-limited\"}"));
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      String room = ctx.channel().attr(ROOM).get();
      Set<Channel> members = room == null ? null : rooms.get(room);
      if (members != null && members.remove(ctx.channel())) {
        for (Channel other : members) {
          other.writeAndFlush(new TextWebSocketFrame("{\"type\":\"peer-disconnected\"}"));
        }
      }
      super.channelInactive(ctx);
    }
  }
}
