package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostgresConnectionsTest {

    @Test
    void aFailedRollbackIsKeptBehindTheFirstError() {
        SQLException gone = new SQLException("An I/O error occurred while sending to the backend", "08006");
        SQLException first = new SQLException("new row violates check constraint", "23514");

        PostgresConnections.rollBack(connection(gone, new ArrayList<>()), first);

        assertThat(first.getSuppressed()).containsExactly(gone);
    }

    @Test
    void aRollbackThatWorksAddsNothing() {
        List<String> calls = new ArrayList<>();
        SQLException first = new SQLException("deadlock detected", "40P01");

        PostgresConnections.rollBack(connection(null, calls), first);

        assertThat(calls).containsExactly("rollback");
        assertThat(first.getSuppressed()).isEmpty();
    }

    /** A connection whose rollback records itself and throws {@code failure} when given one. */
    private static Connection connection(SQLException failure, List<String> calls) {
        return (Connection) Proxy.newProxyInstance(
                loader(Connection.class), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    calls.add(method.getName());
                    if (method.getName().equals("rollback") && failure != null) {
                        throw failure;
                    }
                    return null;
                });
    }

    private static ClassLoader loader(Class<?> type) {
        return type.getClassLoader() == null ? PostgresConnectionsTest.class.getClassLoader() : type.getClassLoader();
    }
}
