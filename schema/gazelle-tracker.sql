-- The tables trackerd reads and writes in private mode: the subset of Gazelle's schema that Ocelot uses, each
-- column defined as Gazelle defines it (WhatCD's gazelle.sql; OPS's Ocelot variant, whose dates default to
-- '1000-01-01 00:00:00' so the DDL loads under a strict sql_mode with NO_ZERO_DATE), so that a database built from
-- this file is no friendlier than a real site's: users_freeleeches.Time, for one, is NOT NULL without a default
-- and trackerd writes it. Two things differ on purpose, and are exactly the upgrade an existing Gazelle database
-- needs (CONFIGURATION.md, "Upgrading an existing Gazelle database"): trackerd_batches (ids of committed delta
-- batches, so that a batch retried after a lost commit acknowledgement is not applied twice) and the address
-- columns xbt_files_users.ip / xbt_snatched.IP widened from varchar(15) to varchar(39) for IPv6 peers.

CREATE TABLE IF NOT EXISTS users_main (
  ID int(10) unsigned NOT NULL AUTO_INCREMENT,
  Username varchar(20) NOT NULL,
  Uploaded bigint(20) unsigned NOT NULL DEFAULT '0',
  Downloaded bigint(20) unsigned NOT NULL DEFAULT '0',
  Enabled enum('0','1','2') NOT NULL DEFAULT '0',
  Visible enum('1','0') NOT NULL DEFAULT '1',
  can_leech tinyint(4) NOT NULL DEFAULT '1',
  torrent_pass char(32) NOT NULL,
  PRIMARY KEY (ID),
  UNIQUE KEY Username (Username),
  KEY torrent_pass (torrent_pass)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS torrents (
  ID int(10) NOT NULL AUTO_INCREMENT,
  GroupID int(10) NOT NULL,
  UserID int(10) DEFAULT NULL,
  info_hash blob NOT NULL,
  Leechers int(6) NOT NULL DEFAULT '0',
  Seeders int(6) NOT NULL DEFAULT '0',
  last_action datetime NOT NULL DEFAULT '1000-01-01 00:00:00',
  FreeTorrent enum('0','1','2') NOT NULL DEFAULT '0',
  Snatched int(10) unsigned NOT NULL DEFAULT '0',
  balance bigint(20) NOT NULL DEFAULT '0',
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
  Time datetime NOT NULL,
  Expired tinyint(1) NOT NULL DEFAULT '0',
  Downloaded bigint(20) NOT NULL DEFAULT '0',
  Uses int(10) NOT NULL DEFAULT '1',
  PRIMARY KEY (UserID, TorrentID),
  KEY Time (Time),
  KEY Expired_Time (Expired, Time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS xbt_files_users (
  uid int(11) NOT NULL,
  active tinyint(1) NOT NULL DEFAULT '1',
  announced int(11) NOT NULL DEFAULT '0',
  completed tinyint(1) NOT NULL DEFAULT '0',
  downloaded bigint(20) NOT NULL DEFAULT '0',
  remaining bigint(20) NOT NULL DEFAULT '0',
  uploaded bigint(20) NOT NULL DEFAULT '0',
  upspeed int(10) unsigned NOT NULL DEFAULT '0',
  downspeed int(10) unsigned NOT NULL DEFAULT '0',
  corrupt bigint(20) NOT NULL DEFAULT '0',
  timespent int(10) unsigned NOT NULL DEFAULT '0',
  useragent varchar(51) NOT NULL DEFAULT '',
  connectable tinyint(4) NOT NULL DEFAULT '1',
  peer_id binary(20) NOT NULL DEFAULT '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0',
  fid int(11) NOT NULL,
  mtime int(11) NOT NULL DEFAULT '0',
  ip varchar(39) NOT NULL DEFAULT '',
  PRIMARY KEY (peer_id, fid, uid),
  KEY remaining_idx (remaining),
  KEY fid_idx (fid),
  KEY mtime_idx (mtime),
  KEY uid_active (uid, active)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS xbt_snatched (
  uid int(11) NOT NULL DEFAULT '0',
  tstamp int(11) NOT NULL,
  fid int(11) NOT NULL,
  IP varchar(39) NOT NULL,
  seedtime int(11) NOT NULL DEFAULT '0',
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
