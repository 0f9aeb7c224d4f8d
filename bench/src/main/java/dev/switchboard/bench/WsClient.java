package dev.switchboard.bench;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.URI;

/**
 * One WebSocket connection, driven by its channel's event loop (no thread of its own). Events go to
 * a {@link Listener}, always on that event loop.
 */
public final class WsClient extends SimpleChannelInboundHandler<WebSocketFrame> {

  public interface Listener {
    void onOpen(WsClient c);

    void onText(WsClient c, String text);

    /** Called once, whether the connection failed before opening or closed after. */
    void onClosed(WsClient c, boolean wasOpen, int closeCode, String reason, Throwable cause);
  }

  public final URI uri;
  public final long connectStartNanos;

  /**
   * The owner's per-connection state, given to {@link WsConnector#connect}. It is final and set
   * before the connection starts, so every listener event sees it: an owner that set it after
   * connect() returned could lose the race with a fast handshake (onOpen would see null).
   */
  public final Object attachment;

  private final Listener listener;
  private volatile Channel channel;
  private volatile boolean open;
  private boolean closedReported;
  private int closeCode = -1;
  private String closeReason = "";
  private Throwable failure;

  WsClient(URI uri, Listener listener, Object attachment) {
    this.uri = uri;
    this.listener = listener;
    this.attachment = attachment;
    this.connectStartNanos = System.nanoTime();
  }

  void bind(Channel ch) {
    this.channel = ch;
  }

  public boolean isOpen() {
    return open;
  }

  public Channel channel() {
    return channel;
  }

  /**
   * Sends a text frame; returns false (and sends nothing) when not open or the socket buffer is
   * full.
   */
  public boolean send(String text) {
    Channel ch = channel;
    if (ch == null || !open || !ch.isWritable()) {
      return false;
    }
    ch.writeAndFlush(
        new TextWebSocketFrame(ByteBufUtil.writeUtf8(ch.alloc(), text)), ch.voidPromise());
    return true;
  }

  /** Normal closure (1000); the close is reported through the listener. */
  public void close() {
    Channel ch = channel;
    if (ch == null) {
      return;
    }
    if (open && ch.isActive()) {
      ch.writeAndFlush(new CloseWebSocketFrame(1000, "bye"))
          .addListener(ChannelFutureListener.CLOSE);
      ch.eventLoop()
          .schedule(
              () -> {
                ch.close();
              },
              2,
              java.util.concurrent.TimeUnit.SECONDS);
    } else {
      ch.close();
    }
  }

  /** Bound here, on registration, so no event can find the channel unset. */
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    channel = ctx.channel();
    super.handlerAdded(ctx);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
      open = true;
      listener.onOpen(this);
    } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
      failure = new java.util.concurrent.TimeoutException("WebSocket handshake timed out");
      ctx.close();
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame t) {
      listener.onText(this, t.text());
    } else if (frame instanceof CloseWebSocketFrame c) {
      closeCode = c.statusCode();
      closeReason = c.reasonText();
      ctx.writeAndFlush(new CloseWebSocketFrame(closeCode < 0 ? 1000 : closeCode, ""))
          .addListener(ChannelFutureListener.CLOSE);
    } else if (frame instanceof io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame b) {
      listener.onText(this, b.content().toString(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    reportClosed();
    super.channelInactive(ctx);
  }

  /** Also called by the connector when the TCP connect itself fails. */
  void connectFailed(Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
    reportClosed();
  }

  private void reportClosed() {
    if (closedReported) {
      return;
    }
    closedReported = true;
    boolean wasOpen = open;
    open = false;
    listener.onClosed(this, wasOpen, closeCode, closeReason, failure);
  }
}
