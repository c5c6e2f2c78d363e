-- expect expand: refused: executable comment
-- expect contract: refused: executable comment
/*!40101 SET NAMES utf8 */;
