-- expect contract: refused: CREATE TRIGGER is not a statement
CREATE TRIGGER t BEFORE INSERT ON wp_posts FOR EACH ROW SET NEW.notes = '';
