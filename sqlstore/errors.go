package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"reel"
)

// unavailable turns *err into a reel.EUNAVAILABLE error when it says the
// database cannot be reached (connection refused, lost, or ended by the
// server), so that the HTTP layer answers 503 and callers may retry. The
// store's exported methods defer it.
func unavailable(err *error) {
	if *err != nil && reel.ErrorCode(*err) == reel.EINTERNAL && connectionLost(*err) {
		*err = reel.WrapError(reel.EUNAVAILABLE, "The database is unavailable for now; try again shortly.", *err)
	}
}

// connectionLost reports whether err is the failure of the connection
// rather than of the statement.
func connectionLost(err error) bool {
	var connect *pgconn.ConnectError
	var pg *pgconn.PgError
	var netErr net.Error
	switch {
	case errors.As(err, &connect):
		return true // refused, or the server let no one in
	case errors.As(err, &pg):
		// Class 08: connection exception; 57P01-57P03: the server shuts
		// down, crashed or is starting; 53300: too many connections.
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" ||
			pg.Code == "57P03" || pg.Code == "53300"
	case errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	}
	return false
}
