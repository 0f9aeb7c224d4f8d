/** Management: the registry as a JMX MBean, visible to any JMX console, with a drain operation. */
package dev.switchboard.admin;
