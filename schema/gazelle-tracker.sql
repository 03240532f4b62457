-- The tables trackerd reads and writes in private mode: the subset of the Gazelle schema that Ocelot uses,
-- with the same names and meanings, plus trackerd_batches (ids of committed delta batches, so that a batch
-- retried after a lost commit acknowledgement is not applied twice). Load it into an empty database for tests or
-- a new site; on an existing Gazelle database only trackerd_batches needs creating (and, for IPv6 peers,
-- xbt_files_users.ip / xbt_snatched.IP widened to 39 characters).

CREATE TABLE IF NOT EXISTS users_main (
  ID int(10) unsigned NOT NULL AUTO_INCREMENT,
  Username varchar(20) NOT NULL DEFAULT '',
  Uploaded bigint(20) unsigned NOT NULL DEFAULT 0,
  Downloaded bigint(20) unsigned NOT NULL DEFAULT 0,
  Enabled enum('0','1','2') NOT NULL DEFAULT '0',
  Visible enum('1','0') NOT NULL DEFAULT '1',
  can_leech tinyint(4) NOT NULL DEFAULT 1,
  torrent_pass char(32) NOT NULL DEFAULT '',
  PRIMARY KEY (ID),
  KEY torrent_pass (torrent_pass)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS torrents (
  ID int(10) NOT NULL AUTO_INCREMENT,
  GroupID int(10) NOT NULL DEFAULT 0,
  UserID int(10) DEFAULT NULL,
  info_hash blob NOT NULL,
  FreeTorrent enum('0','1','2') NOT NULL DEFAULT '0',
  Seeders int(6) NOT NULL DEFAULT 0,
  Leechers int(6) NOT NULL DEFAULT 0,
  Snatched int(10) unsigned NOT NULL DEFAULT 0,
  last_action datetime DEFAULT NULL,
  balance bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (ID),
  UNIQUE KEY InfoHash (info_hash(40))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS xbt_client_whitelist (
  id int(10) unsigned NOT NULL AUTO_INCREMENT,
  peer_id varchar(20) DEFAULT NULL,
  vstring varchar(200) DEFAULT '',
  PRIMARY KEY (id),
  UNIQUE KEY peer_id (peer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS users_freeleeches (
  UserID int(10) NOT NULL,
  TorrentID int(10) NOT NULL,
  Time datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  Expired tinyint(1) NOT NULL DEFAULT 0,
  Downloaded bigint(20) NOT NULL DEFAULT 0,
  Uses int(10) NOT NULL DEFAULT 1,
  PRIMARY KEY (UserID, TorrentID),
  KEY Time (Time),
  KEY Expired_Time (Expired, Time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS xbt_files_users (
  uid int(11) NOT NULL,
  active tinyint(1) NOT NULL DEFAULT 1,
  announced int(11) NOT NULL DEFAULT 0,
  completed tinyint(1) NOT NULL DEFAULT 0,
  downloaded bigint(20) NOT NULL DEFAULT 0,
  remaining bigint(20) NOT NULL DEFAULT 0,
  uploaded bigint(20) NOT NULL DEFAULT 0,
  upspeed int(10) unsigned NOT NULL DEFAULT 0,
  downspeed int(10) unsigned NOT NULL DEFAULT 0,
  corrupt bigint(20) NOT NULL DEFAULT 0,
  timespent int(10) unsigned NOT NULL DEFAULT 0,
  useragent varchar(51) NOT NULL DEFAULT '',
  connectable tinyint(4) NOT NULL DEFAULT 1,
  peer_id binary(20) NOT NULL DEFAULT '',
  fid int(11) NOT NULL,
  mtime int(11) NOT NULL DEFAULT 0,
  ip varchar(39) NOT NULL DEFAULT '',
  PRIMARY KEY (peer_id, fid),
  KEY remaining_idx (remaining),
  KEY fid_idx (fid),
  KEY mtime_idx (mtime),
  KEY uid_active (uid, active)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS xbt_snatched (
  uid int(11) NOT NULL DEFAULT 0,
  tstamp int(11) NOT NULL,
  fid int(11) NOT NULL,
  IP varchar(39) NOT NULL,
  seedtime int(10) unsigned NOT NULL DEFAULT 0,
  KEY fid (fid),
  KEY tstamp (tstamp),
  KEY uid_tstamp (uid, tstamp)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS trackerd_batches (
  id bigint(20) unsigned NOT NULL,
  flushed_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY flushed_at (flushed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
